import type { Lease, LockService } from './lock-service';
import type { RedisClient } from './redis-connection';
import { redisReady } from './redis-ready';

/** How long a caller waits for a (re)connecting Redis before the command fails. */
const READY_WAIT_MS = 2_000;

/** Takes the lock when nobody holds it; the fencing token grows with every grant of the key. */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`;

/** Extends the lease only while it is still ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Lets go only of our own grant (after an expiry the key may be someone else's). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Locks shared by every replica on one Redis: a key with the holder's fencing token and a TTL of
 * the lease, so a replica that dies holding it blocks the others for at most `leaseMs`. Redis
 * errors reach the caller (a lock that cannot be taken must not be assumed held).
 */
export class RedisLockService implements LockService {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async tryAcquire(key: string, leaseMs: number): Promise<Lease | undefined> {
    // One hash tag per key: the lock and its fencing counter live on one Cluster slot.
    const lockKey = `${this.keyPrefix}lock:{${key}}`;
    const fenceKey = `${lockKey}:fence`;
    await redisReady(this.redis, READY_WAIT_MS);
    const granted = (await this.redis.eval(ACQUIRE, 2, lockKey, fenceKey, String(leaseMs))) as number | null;
    if (granted === null) return undefined;
    const token = Number(granted);
    return {
      key,
      token,
      renew: async () => Number(await this.redis.eval(RENEW, 1, lockKey, String(token), String(leaseMs))) === 1,
      release: async () => {
        await this.redis.eval(RELEASE, 1, lockKey, String(token));
      },
    };
  }

  async close(): Promise<void> {
    // The connection belongs to CacheServices, which closes it.
  }
}
