import type { Logger } from 'pino';
import type { GantryConfig } from '#config';
import type { CacheStore } from './cache-store';
import type { LockService } from './lock-service';
import { createRedisClient } from './redis-connection';
import { RedisLockService } from './redis-lock-service';
import { MemoryCacheStore } from './memory-cache-store';
import { MemoryLockService } from './memory-lock-service';

/** What the gateway's cache, locks and shared state run on, built once from the config. */
export interface CacheServices {
  store: CacheStore;
  locks: LockService;
  close(): Promise<void>;
}

/** In-process services: the embedded default, and every configuration without `redis:`. */
export function createCacheServices(config: GantryConfig, _logger: Logger): CacheServices {
  const store = new MemoryCacheStore(config.cache.memory);
  // With Redis, locks span every replica (blob fills are fetched once for the whole cluster).
  const locks: LockService = config.redis
    ? new RedisLockService(createRedisClient(config.redis, { connectionName: 'gantry-locks' }), config.redis.keyPrefix)
    : new MemoryLockService();
  return {
    store,
    locks,
    async close() {
      await Promise.allSettled([store.close(), locks.close()]);
    },
  };
}
