import { deferDateFormats } from './date-format-deferral';

/**
 * Imported first by the gateway's main, so that the date formats @nestjs/common builds as it
 * loads stay unbuilt (see deferDateFormats); main calls this once every import has loaded, and
 * date formats built after that are real ones.
 */
export const restoreDateFormats = deferDateFormats();
