import type { Logger } from 'pino';
import type { GantryConfig } from '#config';
import type { CacheStore } from './cache-store';
import type { LockService } from './lock-service';
import { MemoryCacheStore } from './memory-cache-store';
import { MemoryLockService } from './memory-lock-service';
import { createRedisClient, type RedisClient } from './redis-connection';
import { RedisLockService } from './redis-lock-service';

/** What the gateway's cache, locks and shared state run on, built once from the config. */
export interface CacheServices {
  store: CacheStore;
  locks: LockService;
  /** The one Redis connection of `redis:`, for shared state that is not a cache entry (upload sessions, tokens). */
  redis?: RedisClient;
  /** Every key Gantry writes to Redis starts with it (`redis.keyPrefix`). */
  keyPrefix: string;
  close(): Promise<void>;
}

/** In-process services without `redis:` (the embedded default); Redis-backed locks with it. */
export function createCacheServices(config: GantryConfig, _logger: Logger): CacheServices {
  const store = new MemoryCacheStore(config.cache.memory);
  const redis = config.redis ? createRedisClient(config.redis, { connectionName: 'gantry' }) : undefined;
  const keyPrefix = config.redis?.keyPrefix ?? 'gantry:';
  const locks = redis ? new RedisLockService(redis, keyPrefix) : new MemoryLockService();
  return {
    store,
    locks,
    ...(redis ? { redis } : {}),
    keyPrefix,
    async close() {
      await Promise.allSettled([store.close(), locks.close()]);
      redis?.disconnect();
    },
  };
}
