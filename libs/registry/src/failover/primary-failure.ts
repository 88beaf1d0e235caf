import { isOciError } from '#oci';

/**
 * Failures a replica may stand in for: the primary is down, too slow, answering 5xx or rate
 * limiting (its open circuit answers UNAVAILABLE at once). A 404 or 401 is the primary's real
 * answer and reaches the client. The same rule as the cache's stale-if-error.
 */
export function isPrimaryFailure(err: unknown): boolean {
  if (!isOciError(err)) return false;
  return err.code === 'UNAVAILABLE' || err.code === 'TOOMANYREQUESTS' || err.status >= 500;
}
