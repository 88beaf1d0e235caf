import { createHash } from 'node:crypto';
import type { SharedToken, SharedTokenStore } from '#registry';
import type { RedisAvailability } from './redis-availability';
import type { RedisClient } from './redis-connection';

/**
 * Upstream bearer tokens shared by the replicas of one backend, in Redis only, expiring with the
 * token. Keys are hashed (scopes name repositories); values are never logged. Every command goes
 * through the shared availability guard: Redis being away reads as "no shared token" and drops
 * writes at once (the replica then fetches its own), and the outage is logged once, not per token.
 */
export class RedisTokenStore implements SharedTokenStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly availability: RedisAvailability,
    /** `<keyPrefix>tokens:<backend>:` — tokens of different backends (credentials) never mix. */
    private readonly namespace: string,
  ) {}

  async get(key: string): Promise<SharedToken | undefined> {
    const text = await this.availability.run(() => this.redis.get(this.keyOf(key)), null);
    if (!text) return undefined;
    try {
      const doc = JSON.parse(text) as Partial<SharedToken>;
      return typeof doc.token === 'string' && typeof doc.useUntil === 'number' ? { token: doc.token, useUntil: doc.useUntil } : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, token: SharedToken, ttlMs: number): Promise<void> {
    const value = JSON.stringify({ token: token.token, useUntil: token.useUntil });
    await this.availability.run(() => this.redis.set(this.keyOf(key), value, 'PX', Math.max(1, Math.floor(ttlMs))), undefined);
  }

  async delete(key: string): Promise<void> {
    await this.availability.run(() => this.redis.del(this.keyOf(key)), undefined);
  }

  private keyOf(key: string): string {
    return this.namespace + createHash('sha256').update(key).digest('hex');
  }
}
