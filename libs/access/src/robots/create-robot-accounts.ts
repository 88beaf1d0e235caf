import type { CacheServices } from '#cache';
import type { AuthConfig } from '#config';
import { FileRobotStore } from './file-robot-store';
import { RedisRobotStore } from './redis-robot-store';
import { RobotAccounts, type RobotAccountsOptions } from './robot-accounts';

/** Robots in Redis when the gateway has one (every replica sees them), else in auth.robots.path. */
export function createRobotAccounts(auth: AuthConfig, cache: Pick<CacheServices, 'redis' | 'keyPrefix'>, options: Partial<RobotAccountsOptions> = {}): RobotAccounts {
  const store = cache.redis && cache.keyPrefix !== undefined ? new RedisRobotStore(cache.redis, cache.keyPrefix) : new FileRobotStore(auth.robots.path);
  return new RobotAccounts(store, { maxTtlMs: auth.robots.maxTtl, ...options });
}
