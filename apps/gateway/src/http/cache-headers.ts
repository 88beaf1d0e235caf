import type { CacheStatus } from '#registry';

export const STALE_WARNING = '110 - "Response is Stale"';

/** `X-Gantry-Cache` for an answer (bypass when no cache touched it), with RFC 7234's Warning when stale. */
export function cacheHeaders(status: CacheStatus | undefined): Record<string, string> {
  const answered = status ?? 'bypass';
  return answered === 'stale' ? { 'x-gantry-cache': answered, warning: STALE_WARNING } : { 'x-gantry-cache': answered };
}

/** How a response built from several answers (the federated catalog) was served: the worst of them. */
export function combinedCacheStatus(statuses: readonly (CacheStatus | undefined)[]): CacheStatus {
  for (const status of ['stale', 'miss', 'hit'] as const) {
    if (statuses.includes(status)) return status;
  }
  return 'bypass';
}
