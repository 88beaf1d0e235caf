import type { CacheInvalidationBus, Invalidation } from './cache-invalidation-bus';
import type { CacheStore } from './cache-store';
import type { MemoryCacheStore } from './memory-cache-store';
import type { RedisCacheStore } from './redis-cache-store';

/**
 * The in-process cache (L1) in front of Redis: hot entries are answered without leaving the
 * process, everything else comes from Redis and then stays in L1 for the time Redis has left on
 * it. Writes and deletes go to both, and deletes and overwrites are announced on the
 * invalidation bus so that every other replica drops its L1 copy at once. While Redis is away,
 * L1 goes on answering on its own.
 */
export class TieredCacheStore implements CacheStore {
  readonly kind = 'tiered';
  /**
   * Grows with every invalidation from elsewhere: a Redis read that an invalidation overtook
   * must not put the old value back into L1.
   */
  private generation = 0;

  constructor(
    private readonly l1: MemoryCacheStore,
    private readonly redis: RedisCacheStore,
    private readonly bus: CacheInvalidationBus,
  ) {
    bus.listen(
      (invalidation) => this.dropFromL1(invalidation),
      () => this.dropFromL1({ prefix: '' }),
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    const hot = await this.l1.get(key);
    if (hot) return hot;
    const generation = this.generation;
    const entry = await this.redis.getWithTtl(key);
    if (!entry) return undefined;
    if (entry.ttlMs >= 0 && generation === this.generation) await this.l1.set(key, entry.value, entry.ttlMs);
    return entry.value;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.l1.set(key, value, ttlMs);
    await this.redis.set(key, value, ttlMs);
    // Another replica may hold an older value of the same key in its L1.
    await this.bus.publish({ keys: [key] });
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.l1.delete(keys);
    await this.redis.delete(keys);
    await this.bus.publish({ keys: [...keys] });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const fromL1 = await this.l1.deletePrefix(prefix);
    const fromRedis = await this.redis.deletePrefix(prefix);
    await this.bus.publish({ prefix });
    return Math.max(fromL1, fromRedis);
  }

  /** What this replica holds in L1 (exact and free); Redis's own figures are in the status. */
  async stats(): Promise<{ entries: number; bytes: number }> {
    return this.l1.stats();
  }

  async close(): Promise<void> {
    this.bus.close();
    await this.l1.close();
  }

  private dropFromL1(invalidation: Invalidation): void {
    this.generation++;
    const done = 'keys' in invalidation ? this.l1.delete(invalidation.keys) : this.l1.deletePrefix(invalidation.prefix);
    void done;
  }
}
