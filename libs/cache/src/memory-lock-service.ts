import type { Lease, LockService } from './lock-service';

interface Held {
  token: number;
  until: number;
}

/** Locks inside one process (no Redis): same contract as the Redis one, leases included. */
export class MemoryLockService implements LockService {
  private readonly held = new Map<string, Held>();
  private readonly tokens = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async tryAcquire(key: string, leaseMs: number): Promise<Lease | undefined> {
    const current = this.held.get(key);
    if (current && current.until > this.now()) return undefined;
    const token = (this.tokens.get(key) ?? 0) + 1;
    this.tokens.set(key, token);
    this.held.set(key, { token, until: this.now() + leaseMs });
    const mine = (): boolean => this.held.get(key)?.token === token && this.held.get(key)!.until > this.now();
    return {
      key,
      token,
      renew: async () => {
        if (!mine()) return false;
        this.held.set(key, { token, until: this.now() + leaseMs });
        return true;
      },
      release: async () => {
        if (this.held.get(key)?.token === token) this.held.delete(key);
      },
    };
  }

  async isHeld(key: string): Promise<boolean> {
    const current = this.held.get(key);
    return current !== undefined && current.until > this.now();
  }

  async close(): Promise<void> {
    this.held.clear();
  }
}
