import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createCacheServices, type CacheServices } from '#cache';
import { configSchema } from '#config';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { captureLogger, rawRedis, uniquePrefix } from './cache-fixtures';

/** Fails the test if `work` has not settled within `ms` (a hang, not a slow machine). */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Redis killed with kill -9 mid-run: nothing fails because of it, the log says so once, and it all resumes. */
describe('cache services when Redis goes away and comes back', () => {
  let redis: RedisProcess;
  let raw: Redis;
  let services: CacheServices;
  const log = captureLogger();
  const prefix = uniquePrefix();

  before(async () => {
    redis = await startRedis();
    raw = rawRedis(redis.url);
    const config = configSchema.parse({
      redis: { url: redis.url, keyPrefix: prefix },
      cache: { memory: '1MiB' },
      backends: { local: { type: 'local', path: '/nonexistent' } },
      routes: [{ prefix: '', backend: 'local' }],
    });
    services = createCacheServices(config, log.logger);
    await services.redisAvailability!.connected;
  });
  after(async () => {
    await services?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  test('builds the tiered store and Redis locks, and shares its connection', async () => {
    assert.equal(services.store.kind, 'tiered');
    assert.equal(services.keyPrefix, prefix);
    assert.equal(await services.redis!.ping(), 'PONG');
    await services.store.set('hot', Buffer.from('cached'), 0);
    assert.equal(await raw.get(`${prefix}cache:hot`), 'cached');
    const lease = await services.locks.tryAcquire('blob', 30_000);
    assert.ok(lease);
    assert.ok((await raw.pttl(`${prefix}lock:{blob}`)) > 0, 'the lock is in Redis');
    await lease.release();
    const status = await services.status();
    assert.equal(status.kind, 'tiered');
    assert.deepEqual({ mode: status.redis?.mode, available: status.redis?.available }, { mode: 'url', available: true });
    assert.ok(status.redis!.keys >= 1);
    assert.equal(status.memory.maxBytes, 1024 * 1024);
  });

  test('with Redis killed, every call answers, L1 still serves, locks work in-process, one warning', async () => {
    let failedReconnects = 0;
    services.redis!.on('error', () => failedReconnects++);
    await redis.kill();
    const calls = async (i: number): Promise<void> => {
      assert.equal((await services.store.get('hot'))?.toString(), 'cached', 'L1 answers');
      assert.equal(await services.store.get(`cold-${i}`), undefined);
      await services.store.set(`written-${i}`, Buffer.from('x'), 60_000);
      await services.store.delete([`written-${i}`]);
      await services.store.deletePrefix(`nothing-${i}`);
      await services.store.stats();
      const lease = await services.locks.tryAcquire(`k-${i}`, 30_000);
      assert.ok(lease, 'the in-process lock takes over');
      assert.equal(await services.locks.tryAcquire(`k-${i}`, 30_000), undefined, 'and still excludes within the replica');
      assert.equal(await lease.renew(), true);
      await lease.release();
    };
    for (let i = 0; i < 100; i++) await within(10_000, `call ${i}`, calls(i));
    await within(10_000, 'concurrent calls', Promise.all(Array.from({ length: 100 }, (_, i) => calls(100 + i))));
    // Every failed reconnect is an error event too: still one warning for the whole outage.
    await waitFor('ioredis to fail reconnecting a few times', async () => failedReconnects >= 3, 20_000);
    const status = await within(10_000, 'status', services.status());
    assert.equal(status.redis?.available, false);
    assert.equal(log.count(/^redis unavailable: /), 1, log.messages().join('\n'));
    assert.equal(log.count(/^redis available again/), 0);
  });

  test('with Redis back, writes reach it again and the log says so once', async () => {
    await redis.restart();
    await waitFor('"redis available again"', async () => log.count(/^redis available again/) === 1, 20_000);
    await services.store.set('after', Buffer.from('back'), 60_000);
    assert.equal(await raw.get(`${prefix}cache:after`), 'back');
    const lease = await services.locks.tryAcquire('blob', 30_000);
    assert.ok(lease);
    assert.ok((await raw.pttl(`${prefix}lock:{blob}`)) > 0, 'locks are in Redis again');
    await lease.release();
    assert.equal(log.count(/^redis unavailable: /), 1);
    assert.equal(log.count(/^redis available again/), 1);
    assert.equal((await services.status()).redis?.available, true);
    // Invalidations sent while it was away are lost: L1 starts again from what Redis holds.
    await waitFor('L1 to be dropped after the resubscribe', async () => (await services.store.get('hot')) === undefined, 10_000);
  });
});
