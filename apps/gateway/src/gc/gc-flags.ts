import type { GcOptions } from '#registry';

export class GcUsageError extends Error {}

/** `--dry-run`, `--verify`, `--grace-seconds N` (shared by `npm run gc` and `gantry gc`). */
export function gcOptionsOf(values: Readonly<Record<string, string | boolean | undefined>>): GcOptions {
  const options: GcOptions = {};
  if (values['dry-run']) options.dryRun = true;
  if (values.verify) options.verify = true;
  const grace = values['grace-seconds'];
  if (grace !== undefined) {
    if (typeof grace !== 'string' || !/^\d+$/.test(grace)) throw new GcUsageError(`--grace-seconds needs a whole number of seconds, got ${String(grace) || 'nothing'}`);
    options.graceSeconds = Number(grace);
  }
  return options;
}
