import { createHash } from 'node:crypto';
import type { SharedToken, SharedTokenStore } from '#registry';
import type { RedisClient } from './redis-connection';

/**
 * Upstream bearer tokens shared by the replicas of one backend, in Redis only, expiring with the
 * token. Keys are hashed (scopes name repositories); values are never logged. Redis being away
 * reads as "no shared token" and drops writes: the replica then fetches its own.
 */
export class RedisTokenStore implements SharedTokenStore {
  constructor(
    private readonly redis: RedisClient,
    /** `<keyPrefix>tokens:<backend>:` — tokens of different backends (credentials) never mix. */
    private readonly namespace: string,
  ) {}

  async get(key: string): Promise<SharedToken | undefined> {
    try {
      const text = await this.redis.get(this.keyOf(key));
      if (!text) return undefined;
      const doc = JSON.parse(text) as Partial<SharedToken>;
      return typeof doc.token === 'string' && typeof doc.useUntil === 'number' ? { token: doc.token, useUntil: doc.useUntil } : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, token: SharedToken, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(this.keyOf(key), JSON.stringify({ token: token.token, useUntil: token.useUntil }), 'PX', Math.max(1, Math.floor(ttlMs)));
    } catch {
      // Not shared this time; this replica still has it.
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.redis.del(this.keyOf(key));
    } catch {
      // It expires with its TTL anyway.
    }
  }

  private keyOf(key: string): string {
    return this.namespace + createHash('sha256').update(key).digest('hex');
  }
}
