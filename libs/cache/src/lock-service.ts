/** A held lock. `token` grows with every grant of the same key (a fencing token). */
export interface Lease {
  readonly key: string;
  readonly token: number;
  /** Extends the lease; false when it was lost (expired and taken by someone else). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Mutual exclusion across this process (memory) or every replica that shares Redis. A holder
 * that dies loses the lock when its lease runs out, so nobody waits longer than `leaseMs`.
 */
export interface LockService {
  /** The lease, or undefined when someone else holds the key. */
  tryAcquire(key: string, leaseMs: number): Promise<Lease | undefined>;
  /** Whether someone holds `key` now; looks without taking it (a refusal that must not block the holder). */
  isHeld(key: string): Promise<boolean>;
  close(): Promise<void>;
}
