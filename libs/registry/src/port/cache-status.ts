/**
 * How a cache decorator answered (the `X-Gantry-Cache` header): from the cache, from the
 * upstream, from the cache because the upstream failed, or not cached at all. Backends never set it.
 */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass';

export interface CacheAnnotated {
  cacheStatus?: CacheStatus;
}
