import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterFill } from './cluster-fill';
import type { Lease, LockService } from './lock-service';
import { MemoryLockService } from './memory-lock-service';

/** Holds `fill:<key>` as another replica would, until `release()` (or its lease runs out). */
async function otherReplicaHolds(locks: LockService, key: string, leaseMs = 60_000): Promise<Lease> {
  const lease = await locks.tryAcquire(`fill:${key}`, leaseMs);
  assert.ok(lease);
  return lease;
}

test('the holder loads; a waiter answers from what the holder stored, without loading', async () => {
  const locks = new MemoryLockService();
  const fill = new ClusterFill(locks, { pollMs: 1 });
  const holder = await otherReplicaHolds(locks, 'm');
  const store: { entry?: string } = {};
  let loads = 0;
  const waiting = fill.run('m', async () => `loaded ${++loads}`, async () => store.entry);
  store.entry = 'from the holder';
  assert.equal(await waiting, 'from the holder');
  assert.equal(loads, 0);
  await holder.release();
  assert.equal(await fill.run('m', async () => `loaded ${++loads}`, async () => undefined), 'loaded 1', 'the lock is free: load');
});

test('a holder that lets go without storing (its fetch failed): the waiter fetches on its own', async () => {
  const locks = new MemoryLockService();
  const fill = new ClusterFill(locks, { pollMs: 1 });
  const holder = await otherReplicaHolds(locks, 'm');
  const waiting = fill.run('m', async () => 'loaded', async () => undefined);
  await holder.release();
  assert.equal(await waiting, 'loaded');
});

test('a holder that died keeps the others waiting no longer than the lease', async () => {
  const locks = new MemoryLockService();
  await otherReplicaHolds(locks, 'm');
  const fill = new ClusterFill(locks, { pollMs: 1, leaseMs: 20 });
  assert.equal(await fill.run('m', async () => 'loaded', async () => undefined), 'loaded');
});

test('the lease is released after a failed load, and a failing lock service never fails the request', async () => {
  const locks = new MemoryLockService();
  const fill = new ClusterFill(locks);
  await assert.rejects(fill.run('m', async () => Promise.reject(new Error('upstream down')), async () => undefined), /upstream down/);
  assert.equal(await locks.isHeld('fill:m'), false);
  const broken: LockService = {
    tryAcquire: async () => Promise.reject(new Error('Connection is closed.')),
    isHeld: async () => Promise.reject(new Error('Connection is closed.')),
    close: async () => undefined,
  };
  assert.equal(await new ClusterFill(broken, { pollMs: 1 }).run('m', async () => 'loaded', async () => undefined), 'loaded');
});
