import type { Logger } from 'pino';
import type { GantryConfig } from '#config';
import { CacheInvalidationBus } from './cache-invalidation-bus';
import type { CacheStore } from './cache-store';
import type { LockService } from './lock-service';
import { MemoryCacheStore } from './memory-cache-store';
import { MemoryLockService } from './memory-lock-service';
import { RedisAvailability } from './redis-availability';
import { RedisCacheStore } from './redis-cache-store';
import { createRedisClient, type RedisClient, type RedisConfig } from './redis-connection';
import { RedisLockService } from './redis-lock-service';
import { TieredCacheStore } from './tiered-cache-store';

/** How the cache runs, for `GET /admin/v1/cache`. */
export interface CacheServicesStatus {
  /** `memory`, or `tiered` (memory L1 in front of Redis). */
  kind: string;
  /** This replica's in-process cache. */
  memory: { entries: number; bytes: number; maxBytes: number };
  /** With `redis:`: whether it answers now, and DBSIZE / used_memory of its database (approximate). */
  redis?: { mode: 'url' | 'sentinel' | 'cluster'; available: boolean; keys: number; usedMemoryBytes: number };
}

/** What the gateway's cache, locks and shared state run on, built once from the config. */
export interface CacheServices {
  store: CacheStore;
  locks: LockService;
  /**
   * With `redis:`, the one connection every Redis-backed store shares (upload sessions, tokens),
   * its key prefix, and its availability guard: wrap each command in `redisAvailability.run` to
   * fall back instead of failing while Redis is away (and to log the outage only once).
   */
  redis?: RedisClient;
  keyPrefix?: string;
  redisAvailability?: RedisAvailability;
  status(): Promise<CacheServicesStatus>;
  close(): Promise<void>;
}

/** Memory only without `redis:` (the embedded default); memory L1 + Redis, and Redis locks, with it. */
export function createCacheServices(config: GantryConfig, logger: Logger): CacheServices {
  return config.redis ? redisCacheServices(config, config.redis, logger) : memoryCacheServices(config);
}

function memoryCacheServices(config: GantryConfig): CacheServices {
  const store = new MemoryCacheStore(config.cache.memory);
  const locks = new MemoryLockService();
  return {
    store,
    locks,
    status: async () => ({ kind: store.kind, memory: { ...(await store.stats()), maxBytes: config.cache.memory } }),
    async close() {
      await Promise.allSettled([store.close(), locks.close()]);
    },
  };
}

function redisCacheServices(config: GantryConfig, redisConfig: RedisConfig, logger: Logger): CacheServices {
  const keyPrefix = redisConfig.keyPrefix;
  const client = createRedisClient(redisConfig, { connectionName: 'gantry' });
  const subscriber = createRedisClient(redisConfig, { connectionName: 'gantry-invalidations' });
  const availability = new RedisAvailability(client, logger);
  const l1 = new MemoryCacheStore(config.cache.memory);
  const shared = new RedisCacheStore(client, availability, keyPrefix);
  const store = new TieredCacheStore(l1, shared, new CacheInvalidationBus(client, subscriber, availability, keyPrefix));
  const locks = new RedisLockService(client, availability, keyPrefix);
  const mode = redisConfig.cluster ? 'cluster' : redisConfig.sentinel ? 'sentinel' : 'url';
  logger.info({ redis: mode, keyPrefix }, 'cache: in-process L1 in front of redis; locks and shared state in redis');
  return {
    store,
    locks,
    redis: client,
    keyPrefix,
    redisAvailability: availability,
    async status() {
      const [memory, redis] = await Promise.all([store.stats(), shared.stats()]);
      return {
        kind: store.kind,
        memory: { ...memory, maxBytes: config.cache.memory },
        redis: { mode, available: availability.available, keys: redis.entries, usedMemoryBytes: redis.bytes },
      };
    },
    async close() {
      availability.close();
      await Promise.allSettled([store.close(), locks.close()]);
      // QUIT lets replies in flight arrive; a Redis that does not answer is simply dropped.
      await client.quit().catch(() => client.disconnect());
    },
  };
}
