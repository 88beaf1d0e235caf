import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { Lease, LockService } from './lock-service';
import { MemoryLockService } from './memory-lock-service';
import { LockServiceSharedLock } from './shared-lock';

const logger = pino({ level: 'silent' });

test('a second caller waits for the holder and runs after it, never alongside', async () => {
  const shared = new LockServiceSharedLock(new MemoryLockService(), 'backend:corp:', logger);
  const order: string[] = [];
  let releaseFirst!: () => void;
  const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstStarted!: () => void;
  const started = new Promise<void>((resolve) => (firstStarted = resolve));
  const first = shared.withLock('k', async () => {
    order.push('first in');
    firstStarted();
    await firstHolds;
    order.push('first out');
  });
  await started;
  const second = shared.withLock('k', async () => void order.push('second'));
  releaseFirst();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first in', 'first out', 'second']);
});

test('the lease is released when the work fails, and keys are namespaced per backend', async () => {
  const locks = new MemoryLockService();
  const shared = new LockServiceSharedLock(locks, 'backend:corp:', logger);
  await assert.rejects(shared.withLock('k', async () => Promise.reject(new Error('upstream down'))), /upstream down/);
  assert.ok(await locks.tryAcquire('backend:corp:k', 1000), 'free again after the failure');
});

test('a caller gives up with 503 when a live holder keeps the key past the wait', async () => {
  const locks = new MemoryLockService();
  await locks.tryAcquire('backend:corp:k', 60_000);
  const shared = new LockServiceSharedLock(locks, 'backend:corp:', logger, { leaseMs: 1000, maxWaitMs: 0 });
  await assert.rejects(shared.withLock('k', async () => 'ran'), (err: { code?: string }) => err.code === 'UNAVAILABLE');
});

test('when the lock service fails (Redis away), the work still runs, under the per-process lock only', async () => {
  const failing: LockService = {
    tryAcquire: async (): Promise<Lease | undefined> => Promise.reject(new Error('Connection is closed.')),
    isHeld: async () => Promise.reject(new Error('Connection is closed.')),
    close: async () => undefined,
  };
  const shared = new LockServiceSharedLock(failing, 'backend:corp:', logger);
  assert.equal(await shared.withLock('k', async () => 'ran'), 'ran');
});
