import { randomUUID } from 'node:crypto';
import type { Lease, LockService } from './lock-service';
import { MemoryLockService } from './memory-lock-service';
import type { RedisAvailability } from './redis-availability';
import type { RedisClient } from './redis-connection';

/** SET NX PX and, only when it took, INCR of the key's fencing counter: one atomic step. */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0`;
/** Extends the lease only for the holder that still has it. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
/** Lets go only of a lease that is still this holder's. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Locks shared by every replica on one Redis, with an in-process lock in front: contention
 * inside a replica never reaches Redis, and while Redis is away the in-process lock alone
 * still coalesces work within the replica (fencing tokens then come from the process, so they
 * only order holders of this replica). The lease expires in Redis, so a replica that dies while
 * holding a lock blocks the others for at most `leaseMs`.
 */
export class RedisLockService implements LockService {
  private readonly local: MemoryLockService;
  private readonly lockKey: (key: string) => string;
  private readonly tokenKey: (key: string) => string;

  constructor(
    private readonly client: RedisClient,
    private readonly availability: RedisAvailability,
    keyPrefix: string,
    now: () => number = Date.now,
  ) {
    this.local = new MemoryLockService(now);
    // The braces are a cluster hash tag: the lock and its counter share a slot (one script).
    this.lockKey = (key) => `${keyPrefix}lock:{${key}}`;
    this.tokenKey = (key) => `${keyPrefix}lock:{${key}}:token`;
  }

  async tryAcquire(key: string, leaseMs: number): Promise<Lease | undefined> {
    if (key.length === 0) throw new Error('a lock needs a non-empty key');
    const local = await this.local.tryAcquire(key, leaseMs);
    if (!local) return undefined;
    const holder = randomUUID();
    const lease = Math.max(1, Math.ceil(leaseMs));
    const token = await this.availability.run(
      async () => Number(await this.client.eval(ACQUIRE, 2, this.lockKey(key), this.tokenKey(key), holder, lease)),
      -1,
    );
    if (token < 0) return local; // Redis is away: this replica's lock is all there is.
    if (token === 0) {
      await local.release();
      return undefined;
    }
    return this.sharedLease(key, token, holder, lease, local);
  }

  async isHeld(key: string): Promise<boolean> {
    if (await this.local.isHeld(key)) return true;
    return this.availability.run(async () => (await this.client.exists(this.lockKey(key))) === 1, false);
  }

  async close(): Promise<void> {
    await this.local.close();
  }

  private sharedLease(key: string, token: number, holder: string, leaseMs: number, local: Lease): Lease {
    return {
      key,
      token,
      renew: async () => {
        // Unknown while Redis is away: the holder keeps working (it may not have lost it).
        const renewed = await this.availability.run(
          async () => Number(await this.client.eval(RENEW, 1, this.lockKey(key), holder, leaseMs)) === 1,
          true,
        );
        if (!renewed) {
          await local.release();
          return false;
        }
        // Redis decides; the in-process lease only follows it.
        await local.renew();
        return true;
      },
      release: async () => {
        await this.availability.run(async () => {
          await this.client.eval(RELEASE, 1, this.lockKey(key), holder);
        }, undefined);
        await local.release();
      },
    };
  }
}
