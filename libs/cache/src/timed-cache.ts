import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { CacheAnnotated } from '#registry';
import type { CacheStore } from './cache-store';
import { decodeVariants, encodeVariants, readVariants, type Timed } from './cache-entries';
import { isUpstreamFailure } from './cache-policy';
import type { ClusterFill } from './cluster-fill';
import type { InFlight } from './in-flight';

export interface TimedRead<T, A> {
  /** The store key and the variant inside it (see `Variants`). */
  key: string;
  variant: string;
  /** Tells coalesced loads of one key apart when they answer differently (a GET and a HEAD). */
  operation: string;
  ttlMs: number;
  staleIfErrorMs: number;
  /** After `ttlMs` and up to `2 × ttlMs`, answer from the cache at once and refresh in the background. */
  revalidateInBackground: boolean;
  /** For the log line of a stale answer. */
  backend: string;
  what: string;
  /** Goes upstream: the answer for the client and the value to cache. */
  fetch(): Promise<{ answer: A; value: T }>;
  /** The answer from a cached value, or undefined when it cannot be built (its manifest was evicted). */
  answer(value: T): Promise<A | undefined>;
  /**
   * The answer from a stale value while the upstream fails, when `answer` cannot build it: e.g.
   * a tag's manifest fetched by the digest last seen (which a failover below may serve from a
   * replica). Failing, it leaves the upstream's error to the client. Absent: `answer` only.
   */
  staleAnswer?(value: T): Promise<A | undefined>;
}

/**
 * Read-through for objects that change (tags, listings): fresh for a TTL, then revalidated (in
 * the background, once per TTL per process, or before answering), and kept for the stale-if-error
 * budget so that a failing upstream can be answered from what was last seen.
 */
export class TimedCache {
  /** Keys whose background refresh started recently: at most one refresh per key per TTL. */
  private readonly refreshing = new LRUCache<string, true>({ max: 10_000, ttlAutopurge: false });

  constructor(
    private readonly store: CacheStore,
    private readonly inFlight: InFlight,
    private readonly fill: ClusterFill,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  async read<T, A extends object>(read: TimedRead<T, A>): Promise<A & CacheAnnotated> {
    const cached = readVariants<T>(await this.store.get(read.key))[read.variant];
    const age = cached ? this.now() - cached.storedAt : Infinity;
    const usableFor = read.revalidateInBackground ? 2 * read.ttlMs : read.ttlMs;
    if (cached && age >= 0 && age < usableFor) {
      const answer = await read.answer(cached.value);
      if (answer) {
        if (age >= read.ttlMs) this.revalidate(read);
        return { ...answer, cacheStatus: 'hit' };
      }
    }
    try {
      const fetched = await this.load(read);
      return { ...fetched.answer, cacheStatus: 'miss' };
    } catch (err) {
      if (!cached || !isUpstreamFailure(err) || read.staleIfErrorMs <= 0 || age > read.staleIfErrorMs) throw err;
      const answer = (await read.answer(cached.value)) ?? (await read.staleAnswer?.(cached.value).catch(() => undefined));
      if (!answer) throw err;
      this.logger.warn(
        { backend: read.backend, object: read.what, ageMs: age, err: (err as Error).message },
        `backend ${read.backend} failed: serving a stale cached answer`,
      );
      return { ...answer, cacheStatus: 'stale' };
    }
  }

  /** How long entries stay in the store: past freshness, for revalidation and stale-if-error. */
  static storeTtl(ttlMs: number, staleIfErrorMs: number): number {
    return Math.max(2 * ttlMs, staleIfErrorMs, 1);
  }

  /** One load per key in this process, and across replicas one of them fetches while the others read what it stored. */
  private load<T, A>(read: TimedRead<T, A>): Promise<{ answer: A; value: T }> {
    const id = `${read.key}#${read.variant}#${read.operation}`;
    const fetchAndRemember = async (): Promise<{ answer: A; value: T }> => {
      const fetched = await read.fetch();
      await this.remember(read, fetched.value);
      return fetched;
    };
    return this.inFlight.run(id, () => this.fill.run(id, fetchAndRemember, () => this.fresh(read)));
  }

  /** What another replica's fill stored: only an entry still fresh (a stale one is what this load replaces). */
  private async fresh<T, A>(read: TimedRead<T, A>): Promise<{ answer: A; value: T } | undefined> {
    const entry = readVariants<T>(await this.store.get(read.key))[read.variant];
    const age = entry ? this.now() - entry.storedAt : Infinity;
    if (!entry || age < 0 || age >= read.ttlMs) return undefined;
    const answer = await read.answer(entry.value);
    return answer ? { answer, value: entry.value } : undefined;
  }

  private revalidate<T, A>(read: TimedRead<T, A>): void {
    const id = `${read.key}#${read.variant}`;
    if (this.refreshing.has(id)) return;
    this.refreshing.set(id, true, { ttl: Math.max(1, read.ttlMs) });
    this.load(read).catch((err: unknown) => {
      this.logger.debug({ backend: read.backend, object: read.what, err: (err as Error).message }, 'background refresh failed');
    });
  }

  /** Read-modify-write of the variants: a lost race costs one variant a miss, never a wrong answer. */
  private async remember<T, A>(read: TimedRead<T, A>, value: T): Promise<void> {
    const storeTtl = TimedCache.storeTtl(read.ttlMs, read.staleIfErrorMs);
    const now = this.now();
    const variants = decodeVariants<T>(await this.store.get(read.key));
    for (const [name, entry] of Object.entries(variants)) {
      if (now - entry.storedAt > storeTtl) delete variants[name];
    }
    variants[read.variant] = { storedAt: now, value } satisfies Timed<T>;
    await this.store.set(read.key, encodeVariants(variants), storeTtl);
  }
}
