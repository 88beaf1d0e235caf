import { setTimeout as sleep } from 'node:timers/promises';
import type { Lease, LockService } from './lock-service';

export interface ClusterFillOptions {
  /** How long a holder that died (or hangs) keeps the others waiting before they fetch themselves. */
  leaseMs?: number;
  /** How often a waiter looks for the holder's entry in the store. */
  pollMs?: number;
}

const DEFAULT_LEASE_MS = 5_000;
const DEFAULT_POLL_MS = 20;

/**
 * One upstream fetch per object across the replicas that share a LockService (Redis): the
 * replica that takes `fill:<key>` loads and stores; the others poll the store for its entry and
 * answer from it. A waiter whose holder failed, died or outlived the lease fetches on its own:
 * the lock only saves upstream calls, it never makes a request fail. Callers keep in-process
 * coalescing (InFlight) in front, so only one request per replica reaches the lock; with the
 * in-process lock service the lock is then always free and this adds nothing.
 */
export class ClusterFill {
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly locks: LockService,
    options: ClusterFillOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  /**
   * `load` goes upstream and stores what it got; `stored` answers from the store, or undefined
   * while the entry is not there (yet).
   */
  async run<T>(key: string, load: () => Promise<T>, stored: () => Promise<T | undefined>): Promise<T> {
    const lockKey = `fill:${key}`;
    let lease: Lease | undefined;
    try {
      lease = await this.locks.tryAcquire(lockKey, this.leaseMs);
    } catch {
      return load(); // the lock service failed: coalescing stays in-process
    }
    if (lease) {
      try {
        return await load();
      } finally {
        await lease.release().catch(() => undefined);
      }
    }
    return (await this.waitForHolder(lockKey, stored)) ?? load();
  }

  private async waitForHolder<T>(lockKey: string, stored: () => Promise<T | undefined>): Promise<T | undefined> {
    const giveUpAt = Date.now() + this.leaseMs;
    while (Date.now() < giveUpAt) {
      await sleep(this.pollMs);
      const found = await stored();
      if (found !== undefined) return found;
      const held = await this.locks.isHeld(lockKey).catch(() => false);
      // The holder let go without storing (its fetch failed): one last look, then fetch ourselves.
      if (!held) return stored();
    }
    return undefined;
  }
}
