import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { MemoryCacheStore } from '#cache';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { TestClock } from '../support/test-clock';
import { rawRedis, replica, uniquePrefix, type Replica } from './cache-fixtures';

const silent = pino({ level: 'silent' });
const text = (value: Buffer | undefined): string | undefined => value?.toString();

/** Memory in front of Redis: L1 fills from Redis for the time left, and replicas drop each other's stale L1 entries. */
describe('TieredCacheStore', () => {
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

  const start = async (prefix: string, l1?: MemoryCacheStore): Promise<Replica> => {
    const node = replica(redis.url, prefix, silent, l1);
    open.push(node);
    await node.ready;
    return node;
  };

  test('a value read from Redis stays in L1 for the time Redis had left on it, no longer', async () => {
    const prefix = uniquePrefix();
    const clock = new TestClock();
    const a = await start(prefix, new MemoryCacheStore(1024 * 1024, clock.now));
    await raw.set(`${prefix}cache:tag:x`, 'sha256:1', 'PX', 60_000);
    assert.equal(text(await a.tiered.get('tag:x')), 'sha256:1');
    // Gone from Redis behind the store's back: L1 still answers...
    await raw.del(`${prefix}cache:tag:x`);
    clock.advance(50_000);
    assert.equal(text(await a.tiered.get('tag:x')), 'sha256:1');
    // ...until Redis's remaining time has passed.
    clock.advance(10_001);
    assert.equal(await a.tiered.get('tag:x'), undefined);
  });

  test('a delete on one replica drops the entry from the L1 of another at once', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await start(prefix), await start(prefix)];
    // Written straight into Redis, so no announcement of it can race B's read.
    await raw.set(`${prefix}cache:tag:repo:latest`, 'sha256:old', 'PX', 60_000);
    assert.equal(text(await b.tiered.get('tag:repo:latest')), 'sha256:old');
    // B now answers from its L1: Redis changing underneath does not reach it.
    await raw.set(`${prefix}cache:tag:repo:latest`, 'sha256:behind-the-back', 'PX', 60_000);
    assert.equal(text(await b.tiered.get('tag:repo:latest')), 'sha256:old');

    await a.tiered.delete(['tag:repo:latest']);
    await waitFor("B's L1 entry to go", async () => (await b.tiered.get('tag:repo:latest')) === undefined, 5000);
  });

  test('an overwrite on one replica replaces what another holds in L1', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await start(prefix), await start(prefix)];
    await a.tiered.set('tag:repo:1', Buffer.from('sha256:old'), 60_000);
    assert.equal(text(await b.tiered.get('tag:repo:1')), 'sha256:old');
    await a.tiered.set('tag:repo:1', Buffer.from('sha256:new'), 60_000);
    await waitFor('B to see the new value', async () => text(await b.tiered.get('tag:repo:1')) === 'sha256:new', 5000);
  });

  test('a purge by prefix on one replica empties that prefix in every L1', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await start(prefix), await start(prefix)];
    for (const key of ['repo/a:1', 'repo/a:2', 'repo/b:1']) await a.tiered.set(key, Buffer.from(key), 0);
    for (const key of ['repo/a:1', 'repo/a:2', 'repo/b:1']) assert.ok(await b.tiered.get(key));
    await a.tiered.deletePrefix('repo/a:');
    await waitFor("B's L1 to drop repo/a:*", async () => (await b.tiered.get('repo/a:2')) === undefined, 5000);
    assert.equal(await b.tiered.get('repo/a:1'), undefined);
    assert.equal(text(await b.tiered.get('repo/b:1')), 'repo/b:1');
  });

  test('replicas under another key prefix are not disturbed', async () => {
    const [a, other] = [await start(uniquePrefix()), await start(uniquePrefix())];
    await other.tiered.set('k', Buffer.from('mine'), 0);
    await a.tiered.deletePrefix('');
    await a.tiered.delete(['k']);
    assert.equal(text(await other.redisStore.get('k')), 'mine');
    assert.equal(text(await other.tiered.get('k')), 'mine');
  });
});
