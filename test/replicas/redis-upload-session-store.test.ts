import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRedisClient, type RedisClient } from '#cache';
import { RedisUploadSessionStore } from '../../apps/gateway/src/uploads/redis-upload-session-store';
import type { SessionAging, UploadSession } from '../../apps/gateway/src/uploads/upload-session';
import { startRedis, type RedisProcess } from '../support/redis';

const HOUR = 3600 * 1000;
const id = (n: number): string => `0b7e3f8a-1c2d-4e5f-8a9b-${String(n).padStart(12, '0')}`;

function session(n: number, name: string, createdAt: number): UploadSession {
  return { id: id(n), name, backend: 'b', upstreamName: name, handle: `{"id":"${n}"}`, offset: 10, createdAt };
}

/** A clock the test moves by hand (a day of session age without waiting a day). */
function manualClock(): SessionAging & { now: () => number; advance(ms: number): void } {
  let now = 1_000_000_000_000;
  return { maxAgeMs: 24 * HOUR, now: () => now, advance: (ms) => (now += ms) };
}

/** The Redis session store against a real redis-server: the contract of the memory and file stores, shared by replicas. */
describe('redis upload session store', () => {
  let redis: RedisProcess;
  const clients: RedisClient[] = [];
  let prefixes = 0;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  /** Two stores (two replicas) on one Redis and key prefix, with their own connections. */
  function replicas(aging: SessionAging): [RedisUploadSessionStore, RedisUploadSessionStore] {
    const prefix = `t${++prefixes}:`;
    const open = (): RedisUploadSessionStore => {
      const client = createRedisClient({ url: redis.url, keyPrefix: prefix });
      clients.push(client);
      return new RedisUploadSessionStore(client, prefix, aging);
    };
    return [open(), open()];
  }

  test('a session saved by one replica is read, counted and deleted by another', async () => {
    const clock = manualClock();
    const [a, b] = replicas(clock);
    const first = session(1, 'team/a', clock.now());
    await a.save(first);
    await a.save(session(2, 'team/a', clock.now()));
    await b.save(session(3, 'team/b', clock.now()));
    assert.deepEqual(await b.get(first.id), first);
    assert.deepEqual(await b.count('team/a'), { total: 3, repository: 2 });
    await a.save({ ...first, offset: 99 });
    assert.equal((await b.get(first.id))?.offset, 99, 'an update is seen at once');
    assert.deepEqual(await b.count('team/a'), { total: 3, repository: 2 }, 'an update is not a new session');
    await b.delete(first.id);
    assert.equal(await a.get(first.id), undefined);
    assert.deepEqual(await a.count('team/a'), { total: 2, repository: 1 });
    assert.equal(await a.get('../../etc/passwd'), undefined);
  });

  test('insert refuses at the caps, per repository and in all, counting every replica', async () => {
    const clock = manualClock();
    const [a, b] = replicas(clock);
    const caps = { maxTotal: 3, maxPerRepository: 2 };
    assert.equal(await a.insert(session(1, 'team/a', clock.now()), caps), undefined);
    assert.equal(await b.insert(session(2, 'team/a', clock.now()), caps), undefined);
    assert.deepEqual(await a.insert(session(3, 'team/a', clock.now()), caps), { total: 2, repository: 2 });
    assert.equal(await b.get(id(3)), undefined, 'a refused session is not saved');
    assert.equal(await b.insert(session(4, 'team/b', clock.now()), caps), undefined);
    assert.deepEqual(await a.insert(session(5, 'team/c', clock.now()), caps), { total: 3, repository: 0 });
  });

  test('concurrent inserts on two replicas never pass the cap', async () => {
    const clock = manualClock();
    const [a, b] = replicas(clock);
    const caps = { maxTotal: 100, maxPerRepository: 5 };
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 ? a : b).insert(session(n + 1, 'team/a', clock.now()), caps)));
    assert.equal(results.filter((r) => r === undefined).length, 5);
    assert.deepEqual(await a.count('team/a'), { total: 5, repository: 5 });
  });

  test('an expired session is unknown, and one sweep of the two replicas takes it, once', async () => {
    const clock = manualClock();
    const [a, b] = replicas(clock);
    const old = session(1, 'team/a', clock.now());
    await a.save(old);
    clock.advance(12 * HOUR);
    const young = session(2, 'team/a', clock.now());
    await b.save(young);
    assert.deepEqual(await a.takeExpired(), []);
    clock.advance(13 * HOUR);
    assert.equal(await b.get(old.id), undefined);
    assert.deepEqual(await a.get(young.id), young);
    const [fromA, fromB] = await Promise.all([a.takeExpired(), b.takeExpired()]);
    assert.deepEqual([...fromA, ...fromB], [old], 'exactly one replica cancels its backend side');
    assert.deepEqual(await a.takeExpired(), []);
    assert.deepEqual(await b.count('team/a'), { total: 1, repository: 1 });
  });

  test('Redis away: the store answers 503 UNAVAILABLE, and works again when Redis is back', async () => {
    const clock = manualClock();
    const [a] = replicas(clock);
    await a.save(session(1, 'team/a', clock.now()));
    await redis.kill();
    await assert.rejects(a.get(id(1)), (err: { code?: string; status?: number }) => err.code === 'UNAVAILABLE' && err.status === 503);
    await redis.restart();
    // No persistence: the restarted Redis is empty, and the store works on it at once it reconnects.
    await waitUntilReconnected(a);
    assert.equal(await a.get(id(1)), undefined);
  });
});

async function waitUntilReconnected(store: RedisUploadSessionStore): Promise<void> {
  for (;;) {
    try {
      await store.count('probe');
      return;
    } catch {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
