import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '#cache';
import type { AuthConfig } from '#config';
import { OciError } from '#oci';
import type { LoginContext, LoginThrottle } from './identity-provider';

export type LoginLimits = AuthConfig['loginLimits'];

/** With Redis, failures are counted once for all replicas. */
export interface SharedLoginCounters {
  redis: RedisClient;
  keyPrefix: string;
}

/**
 * Failed-login throttling: at most `perUserAddress` failures for one user from one address, and
 * `perAddress` for all users from one address, within `windowSeconds`. Past either, logins from
 * that address (for that user, or for all) get 429 with Retry-After until the window ends, even
 * with the right password; the same user from another address is not affected, so an attacker
 * cannot lock a user out everywhere. A success resets that user's count at that address.
 *
 * Counters live in Redis when configured (one count for all replicas; while Redis is away, each
 * process counts in memory instead: rate-limiter-flexible's insurance limiter), else in memory.
 * Keys carry a hash of the username, never the name itself: anyone can send any string.
 */
export class LoginRateLimiter implements LoginThrottle {
  private readonly perUserAddress: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;

  constructor(limits: LoginLimits, shared?: SharedLoginCounters) {
    this.perUserAddress = limiter('user-address', limits.perUserAddress, limits.windowSeconds, shared);
    this.perAddress = limiter('address', limits.perAddress, limits.windowSeconds, shared);
  }

  async assertAllowed(username: string, context: LoginContext): Promise<void> {
    const [userAddress, address] = await Promise.all([
      this.perUserAddress.get(userAddressKey(username, context)),
      this.perAddress.get(context.sourceAddress),
    ]);
    const exhausted = [
      exhaustedFor(userAddress, this.perUserAddress.points),
      exhaustedFor(address, this.perAddress.points),
    ].filter((ms): ms is number => ms !== undefined);
    if (exhausted.length === 0) return;
    const retryAfter = Math.max(1, Math.ceil(Math.max(...exhausted) / 1000));
    throw new OciError('TOOMANYREQUESTS', `too many failed logins; try again in ${retryAfter} seconds`, {
      headers: { 'retry-after': String(retryAfter) },
    });
  }

  async recordFailure(username: string, context: LoginContext): Promise<void> {
    // consume() rejects with the counters once a limit is passed: that is the next assertAllowed's business.
    await Promise.all([
      this.perUserAddress.consume(userAddressKey(username, context)).catch(rethrowErrors),
      this.perAddress.consume(context.sourceAddress).catch(rethrowErrors),
    ]);
  }

  async recordSuccess(username: string, context: LoginContext): Promise<void> {
    await this.perUserAddress.delete(userAddressKey(username, context));
  }
}

function limiter(name: string, points: number, duration: number, shared: SharedLoginCounters | undefined): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix: `login-failures:${name}`, points, duration });
  if (!shared) return memory;
  return new RateLimiterRedis({
    storeClient: shared.redis,
    keyPrefix: `${shared.keyPrefix}login-failures:${name}`,
    points,
    duration,
    // A Redis that is away answers from memory at once instead of holding the login.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** The milliseconds until the window ends when `points` failures are used up, else undefined. */
function exhaustedFor(res: RateLimiterRes | null, points: number): number | undefined {
  return res && res.consumedPoints >= points ? Math.max(res.msBeforeNext, 0) : undefined;
}

function userAddressKey(username: string, context: LoginContext): string {
  const user = createHash('sha256').update(username, 'utf8').digest('base64url').slice(0, 22);
  return `${user}:${context.sourceAddress}`;
}

/** consume() rejects with a RateLimiterRes over the limit (expected), or an Error (a store failure with no insurance). */
function rethrowErrors(reason: unknown): void {
  if (reason instanceof Error) throw reason;
}
