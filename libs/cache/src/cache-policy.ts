import { isOciError } from '#oci';
import type { CacheStatus } from '#registry';

/** A route's cache settings, in milliseconds (from the route's `tagTtl`, `listTtl`, `staleIfError`). */
export interface RouteCachePolicy {
  tagTtlMs: number;
  listTtlMs: number;
  /** How old a cached answer may be to stand in for a failing upstream; 0 = never. */
  staleIfErrorMs: number;
}

/**
 * Failures a stale answer may stand in for: the upstream is down, too slow, answering 5xx or
 * rate limiting. A 404 or 401 is the upstream's real answer and always reaches the client.
 */
export function isUpstreamFailure(err: unknown): boolean {
  if (!isOciError(err)) return false;
  return err.code === 'UNAVAILABLE' || err.code === 'TOOMANYREQUESTS' || err.status >= 500;
}

export interface CacheCounts {
  hit: number;
  miss: number;
  stale: number;
  bypass: number;
}

/** How one route's requests were answered, for GET /admin/v1/cache. */
export class CacheCounters {
  private readonly counts: CacheCounts = { hit: 0, miss: 0, stale: 0, bypass: 0 };

  count(status: CacheStatus): void {
    this.counts[status]++;
  }

  snapshot(): CacheCounts & { hitRatio: number } {
    const answered = this.counts.hit + this.counts.miss + this.counts.stale;
    return { ...this.counts, hitRatio: answered === 0 ? 0 : Number(((this.counts.hit + this.counts.stale) / answered).toFixed(4)) };
  }
}
