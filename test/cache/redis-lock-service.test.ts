import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { rawRedis, replica, uniquePrefix, type Replica } from './cache-fixtures';

const silent = pino({ level: 'silent' });

/** Locks shared by replicas on one Redis: exclusion, fencing tokens, leases that run out. */
describe('RedisLockService', () => {
  let redis: RedisProcess;
  let raw: Redis;
  const open: Replica[] = [];
  before(async () => {
    redis = await startRedis();
    raw = rawRedis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  after(async () => {
    raw?.disconnect();
    await redis?.stop();
  });

  const pair = async (prefix = uniquePrefix()): Promise<[Replica, Replica, string]> => {
    const a = replica(redis.url, prefix, silent);
    const b = replica(redis.url, prefix, silent);
    open.push(a, b);
    await Promise.all([a.ready, b.ready]);
    return [a, b, prefix];
  };

  test('one holder at a time across replicas, and in a replica', async () => {
    const [a, b] = await pair();
    const lease = await a.locks.tryAcquire('blob:sha256:1', 30_000);
    assert.ok(lease);
    assert.equal(await b.locks.tryAcquire('blob:sha256:1', 30_000), undefined);
    assert.equal(await a.locks.tryAcquire('blob:sha256:1', 30_000), undefined);
    assert.ok(await b.locks.tryAcquire('blob:sha256:2', 30_000), 'another key is free');
    await lease.release();
    assert.ok(await b.locks.tryAcquire('blob:sha256:1', 30_000));
  });

  test('isHeld looks without taking: true on every replica while someone holds the key', async () => {
    const [a, b] = await pair();
    assert.equal(await b.locks.isHeld('upload:1'), false);
    const lease = await a.locks.tryAcquire('upload:1', 30_000);
    assert.ok(lease);
    assert.equal(await a.locks.isHeld('upload:1'), true);
    assert.equal(await b.locks.isHeld('upload:1'), true);
    await lease.release();
    assert.equal(await b.locks.isHeld('upload:1'), false);
    assert.ok(await b.locks.tryAcquire('upload:1', 30_000), 'looking took nothing');
  });

  test('fencing tokens grow with every grant, whichever replica gets it', async () => {
    const [a, b] = await pair();
    const tokens: number[] = [];
    for (let i = 0; i < 6; i++) {
      const lease = await (i % 2 ? b : a).locks.tryAcquire('manifest:x', 30_000);
      assert.ok(lease);
      tokens.push(lease.token);
      await lease.release();
    }
    assert.deepEqual([...tokens].sort((x, y) => x - y), tokens);
    assert.equal(new Set(tokens).size, tokens.length);
  });

  test('a holder that never lets go loses the lock when its lease runs out; its late release and renew do nothing', async () => {
    const [a, b, prefix] = await pair();
    const stale = await a.locks.tryAcquire('k', 300);
    assert.ok(stale);
    let taken: Awaited<ReturnType<typeof b.locks.tryAcquire>>;
    await waitFor('the lease to run out', async () => (taken = await b.locks.tryAcquire('k', 30_000)) !== undefined, 10_000);
    assert.ok(taken && taken.token > stale.token);

    assert.equal(await stale.renew(), false);
    await stale.release();
    assert.ok((await raw.pttl(`${prefix}lock:{k}`)) > 0, "B's lock is still in Redis");
    assert.equal(await a.locks.tryAcquire('k', 30_000), undefined);
  });

  test('renew extends the lease of the holder that has it', async () => {
    const [a, b, prefix] = await pair();
    const lease = await a.locks.tryAcquire('k', 3000);
    assert.ok(lease);
    const key = `${prefix}lock:{k}`;
    await waitFor('part of the lease to pass', async () => (await raw.pttl(key)) < 2000, 10_000);
    const before = await raw.pttl(key);
    assert.equal(await lease.renew(), true);
    assert.ok((await raw.pttl(key)) > before, 'the lease was extended');
    assert.equal(await b.locks.tryAcquire('k', 3000), undefined);
  });
});
