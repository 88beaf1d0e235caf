import { LRUCache } from 'lru-cache';
import type { CacheStore } from './cache-store';

/**
 * The in-process cache: bounded by bytes, least recently used out first. The only cache without
 * Redis, and the L1 in front of Redis with it (hot manifests never leave the process).
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, Buffer>;

  constructor(maxBytes: number, now: () => number = Date.now) {
    this.entries = new LRUCache<string, Buffer>({
      maxSize: Math.max(1, maxBytes),
      // A key costs its length too, so a flood of tiny entries is bounded as well.
      sizeCalculation: (value, key) => Math.max(1, value.length + key.length),
      ttlAutopurge: false,
      // Read the clock on every check: a cached "now" would outlive an injected clock's jump.
      ttlResolution: 0,
      perf: { now },
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    // An entry larger than the whole cache is not kept (lru-cache would refuse it anyway).
    this.entries.set(key, value, ttlMs > 0 ? { ttl: ttlMs } : {});
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let removed = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix) && this.entries.delete(key)) removed++;
    }
    return removed;
  }

  async stats(): Promise<{ entries: number; bytes: number }> {
    return { entries: this.entries.size, bytes: this.entries.calculatedSize };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
