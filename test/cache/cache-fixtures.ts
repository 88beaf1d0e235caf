import { pino, type Logger } from 'pino';
import { Redis } from 'ioredis';
import {
  CacheInvalidationBus,
  MemoryCacheStore,
  RedisAvailability,
  RedisCacheStore,
  RedisLockService,
  TieredCacheStore,
  createRedisClient,
  type RedisClient,
} from '#cache';

/** A pino logger whose lines the test reads back. */
export interface CapturedLogger {
  logger: Logger;
  /** Messages logged so far (`msg` of each line). */
  messages(): string[];
  count(pattern: RegExp): number;
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const messages = (): string[] => lines.map((line) => String((JSON.parse(line) as { msg?: unknown }).msg ?? ''));
  return { logger, messages, count: (pattern) => messages().filter((m) => pattern.test(m)).length };
}

let prefixes = 0;
/** A key prefix of its own, so tests sharing one redis-server never see each other's keys. */
export function uniquePrefix(): string {
  return `t${process.pid}-${++prefixes}:`;
}

/** One "replica": its own connections to Redis, as the gateway builds them. */
export interface Replica {
  client: RedisClient;
  availability: RedisAvailability;
  redisStore: RedisCacheStore;
  bus: CacheInvalidationBus;
  tiered: TieredCacheStore;
  locks: RedisLockService;
  /** Settles when both connections are up and the invalidation channel is subscribed. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function replica(url: string, keyPrefix: string, logger: Logger, l1 = new MemoryCacheStore(1024 * 1024)): Replica {
  const client = createRedisClient({ url, keyPrefix });
  const subscriber = createRedisClient({ url, keyPrefix });
  const availability = new RedisAvailability(client, logger);
  const redisStore = new RedisCacheStore(client, availability, keyPrefix);
  const bus = new CacheInvalidationBus(client, subscriber, availability, keyPrefix);
  const tiered = new TieredCacheStore(l1, redisStore, bus);
  const locks = new RedisLockService(client, availability, keyPrefix);
  return {
    client,
    availability,
    redisStore,
    bus,
    tiered,
    locks,
    ready: Promise.all([availability.connected, bus.subscribed]).then(() => undefined),
    async close() {
      availability.close();
      await tiered.close();
      await locks.close();
      client.disconnect();
    },
  };
}

/** A plain connection for looking at what Gantry left in Redis. */
export function rawRedis(url: string): Redis {
  const raw = new Redis(url, { maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined);
  return raw;
}
