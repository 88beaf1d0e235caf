import type { Lease, LockService } from './lock-service';
import type { RedisClient } from './redis-connection';

// Renew and release only while the key still holds our token: a holder whose lease ran out and
// was taken over can never extend or drop the new holder's lock.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Locks shared by every replica on one Redis: `SET NX PX` with a fencing token from `INCR`, so
 * tokens grow with every grant of a key. Errors (Redis away) reach the caller, who decides.
 */
export class RedisLockService implements LockService {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly ownsClient = true,
  ) {}

  async tryAcquire(key: string, leaseMs: number): Promise<Lease | undefined> {
    const lockKey = `${this.keyPrefix}lock:${key}`;
    const token = await this.redis.incr(`${this.keyPrefix}lock-token:${key}`);
    const value = String(token);
    const granted = await this.redis.set(lockKey, value, 'PX', leaseMs, 'NX');
    if (granted !== 'OK') return undefined;
    return {
      key,
      token,
      renew: async () => (await this.redis.eval(RENEW, 1, lockKey, value, String(leaseMs))) === 1,
      release: async () => {
        await this.redis.eval(RELEASE, 1, lockKey, value);
      },
    };
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.redis.disconnect();
  }
}
