import { after, before } from 'node:test';
import { pino } from 'pino';
import { MemoryCacheStore } from '#cache';
import { startRedis, type RedisProcess } from '../support/redis';
import { TestClock } from '../support/test-clock';
import { rawRedis, replica, uniquePrefix } from './cache-fixtures';
import { cacheStoreContract } from './cache-store-contract';

/** The memory, Redis and tiered (memory in front of Redis) stores honour one contract. */
let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const silent = pino({ level: 'silent' });

cacheStoreContract('memory', async () => {
  const clock = new TestClock();
  return {
    store: new MemoryCacheStore(10_000, clock.now),
    advance: (ms) => clock.advance(ms),
    exactStats: true,
    close: async () => undefined,
  };
}, { maxBytes: 10_000 });

for (const kind of ['redis', 'tiered'] as const) {
  cacheStoreContract(kind, async () => {
    const clock = new TestClock();
    const prefix = uniquePrefix();
    const node = replica(redis.url, prefix, silent, new MemoryCacheStore(1024 * 1024, clock.now));
    const raw = rawRedis(redis.url);
    await node.ready;
    return {
      store: kind === 'redis' ? node.redisStore : node.tiered,
      advance: (ms) => clock.advance(ms),
      remainingTtl: async (key) => raw.pttl(`${prefix}cache:${key}`),
      // Redis reports its whole database; the tiered store reports its L1.
      exactStats: kind === 'tiered',
      close: async () => {
        raw.disconnect();
        await node.close();
      },
    };
  });
}
