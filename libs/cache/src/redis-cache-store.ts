import type { Redis } from 'ioredis';
import type { CacheStore } from './cache-store';
import type { RedisAvailability } from './redis-availability';
import { type RedisClient, redisMasters } from './redis-connection';

/** A value read from Redis with how long it has left (0: no expiry). */
export interface RedisEntry {
  value: Buffer;
  ttlMs: number;
}

const SCAN_BATCH = 500;

/**
 * The cache in Redis, shared by every replica: keys live under `<keyPrefix>cache:` so a purge
 * never touches the other state Gantry keeps in the same Redis. Every call goes through the
 * availability guard: while Redis is away a read is a miss and a write is dropped.
 *
 * `stats()` is deliberately cheap and approximate: DBSIZE and INFO's `used_memory` (summed over
 * cluster masters), so the whole database the cache shares with Gantry's other keys. Counting
 * the cache's own keys would take a full SCAN on every call.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private readonly namespace: string;

  constructor(
    private readonly client: RedisClient,
    private readonly availability: RedisAvailability,
    keyPrefix: string,
  ) {
    this.namespace = `${keyPrefix}cache:`;
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.getWithTtl(key))?.value;
  }

  /** The value and its remaining time to live, in one round trip (for an L1 in front). */
  async getWithTtl(key: string): Promise<RedisEntry | undefined> {
    const redisKey = this.namespace + key;
    return this.availability.run(async () => {
      const replies = await this.client.pipeline().getBuffer(redisKey).pttl(redisKey).exec();
      const [[getError, value], [ttlError, ttl]] = replies ?? [[new Error('pipeline discarded'), null], [null, null]];
      if (getError) throw getError;
      if (!(value instanceof Buffer)) return undefined;
      // PTTL: -1 no expiry, -2 gone since the GET (then the value is answered but not kept).
      const ttlMs = ttlError || typeof ttl !== 'number' ? -2 : ttl;
      return { value, ttlMs: ttlMs === -1 ? 0 : ttlMs };
    }, undefined);
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const redisKey = this.namespace + key;
    await this.availability.run(async () => {
      if (ttlMs > 0) await this.client.set(redisKey, value, 'PX', Math.ceil(ttlMs));
      else await this.client.set(redisKey, value);
    }, undefined);
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.availability.run(async () => {
      // One key per UNLINK: keys of one call may hash to different cluster slots.
      await Promise.all(keys.map((key) => this.client.unlink(this.namespace + key)));
    }, undefined);
  }

  async deletePrefix(prefix: string): Promise<number> {
    return this.availability.run(async () => {
      const counts = await Promise.all(redisMasters(this.client).map((node) => this.unlinkMatching(node, this.namespace + prefix)));
      return counts.reduce((a, b) => a + b, 0);
    }, 0);
  }

  async stats(): Promise<{ entries: number; bytes: number }> {
    return this.availability.run(
      async () => {
        const perNode = await Promise.all(
          redisMasters(this.client).map(async (node) => {
            const [entries, memory] = await Promise.all([node.dbsize(), node.info('memory')]);
            return { entries, bytes: Number(/^used_memory:(\d+)/m.exec(memory)?.[1] ?? 0) };
          }),
        );
        return perNode.reduce((a, b) => ({ entries: a.entries + b.entries, bytes: a.bytes + b.bytes }), { entries: 0, bytes: 0 });
      },
      { entries: 0, bytes: 0 },
    );
  }

  /** The connection belongs to the cache services, which close it. */
  async close(): Promise<void> {}

  private async unlinkMatching(node: Redis, prefix: string): Promise<number> {
    let removed = 0;
    for await (const batch of node.scanStream({ match: `${escapeGlob(prefix)}*`, count: SCAN_BATCH })) {
      const keys = batch as string[];
      if (keys.length === 0) continue;
      const replies = (await node.pipeline(keys.map((key) => ['unlink', key])).exec()) ?? [];
      for (const [err, count] of replies) if (!err && typeof count === 'number') removed += count;
    }
    return removed;
  }
}

/** `prefix` as a literal in a SCAN MATCH pattern. */
function escapeGlob(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, '\\$&');
}
