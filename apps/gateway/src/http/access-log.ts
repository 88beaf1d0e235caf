import type { Logger } from 'pino';

const URL_LOG_LIMIT = 256;

export interface AccessLogEntry {
  reqId: string;
  method: string;
  url: string;
  status: number;
  ms: number;
  /** Why the request never reached a handler (a parse error code). */
  error?: string;
}

/** One line per request, whatever answered it; the URL without its query, and never unbounded. */
export function logAccess(logger: Logger, entry: AccessLogEntry): void {
  const path = entry.url.split('?')[0] ?? '';
  const url = path.length > URL_LOG_LIMIT ? `${path.slice(0, URL_LOG_LIMIT)}…` : path;
  logger.info({ ...entry, url }, 'request');
}
