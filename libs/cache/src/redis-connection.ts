import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { GantryConfig } from '#config';

export type RedisConfig = NonNullable<GantryConfig['redis']>;
export type RedisClient = Redis | Cluster;

/**
 * One Redis connection from the `redis:` section (URL, Sentinel or Cluster). Commands fail fast
 * while Redis is away (no offline queue, one retry), so callers fall back at once instead of
 * queueing requests behind a dead connection; ioredis keeps reconnecting in the background.
 */
export function createRedisClient(config: RedisConfig, options: { connectionName?: string; overrides?: RedisOptions } = {}): RedisClient {
  const common: RedisOptions = {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...(config.password ? { password: config.password } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    // A queue's connections (BullMQ) wait instead of failing fast: blocking reads, no retry limit.
    ...options.overrides,
  };
  if (config.cluster) return new Cluster(config.cluster.nodes, { redisOptions: common, enableOfflineQueue: common.enableOfflineQueue ?? false });
  if (config.sentinel) {
    return new Redis({
      ...common,
      sentinels: config.sentinel.sentinels,
      name: config.sentinel.name,
      ...(config.sentinel.password ? { sentinelPassword: config.sentinel.password } : {}),
    });
  }
  return new Redis(config.url!, common);
}

/** The connections that hold data: the one server, or every cluster master (for SCAN, DBSIZE). */
export function redisMasters(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
