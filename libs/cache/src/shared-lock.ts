import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { OciError } from '#oci';
import type { SharedLock } from '#registry';
import type { Lease, LockService } from './lock-service';

export interface SharedLockOptions {
  /** How long a holder that died blocks the others (default 15 s); renewed while work runs. */
  leaseMs?: number;
  /** How long a caller waits for a live holder before giving up with 503 (default 2 leases). */
  maxWaitMs?: number;
}

const FIRST_RETRY_MS = 10;
const LAST_RETRY_MS = 200;

/**
 * A backend's SharedLock over the gateway's LockService: waits for the key with a growing pause,
 * renews the lease while the work runs and releases it after. When the lock service itself fails
 * (Redis away), the work runs under the caller's per-process lock only, and the log says so.
 */
export class LockServiceSharedLock implements SharedLock {
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;
  private degraded = false;

  constructor(
    private readonly locks: LockService,
    private readonly namespace: string,
    private readonly logger: Logger,
    options: SharedLockOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.maxWaitMs = options.maxWaitMs ?? 2 * this.leaseMs;
  }

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    let lease: Lease | undefined;
    try {
      lease = await this.acquire(`${this.namespace}${key}`);
    } catch (err) {
      if (err instanceof OciError) throw err;
      if (!this.degraded) this.logger.warn({ err: (err as Error).message }, 'shared lock unavailable; serialising within this replica only');
      this.degraded = true;
      return work();
    }
    this.degraded = false;
    const held = lease;
    const renewal = setInterval(() => void held.renew().catch(() => false), Math.max(1, Math.floor(this.leaseMs / 3)));
    renewal.unref();
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await held.release().catch(() => undefined);
    }
  }

  private async acquire(key: string): Promise<Lease> {
    const giveUpAt = Date.now() + this.maxWaitMs;
    for (let pause = FIRST_RETRY_MS; ; pause = Math.min(pause * 2, LAST_RETRY_MS)) {
      const lease = await this.locks.tryAcquire(key, this.leaseMs);
      if (lease) return lease;
      if (Date.now() >= giveUpAt) throw new OciError('UNAVAILABLE', 'another gateway replica is still updating this object; try again');
      await sleep(pause);
    }
  }
}
