import type { Logger } from 'pino';
import type { BackendSharedState } from '#registry';
import type { CacheServices } from './cache-services';
import { RedisTokenStore } from './redis-token-store';
import { LockServiceSharedLock } from './shared-lock';

/**
 * What backend `name` shares with the other replicas: with Redis, its referrers-index lock and its
 * bearer tokens; without, nothing (one process serialises and caches on its own).
 */
export function backendSharedState(services: CacheServices, name: string, logger: Logger): BackendSharedState {
  if (!services.redis || !services.redisAvailability) return {};
  return {
    locks: new LockServiceSharedLock(services.locks, `backend:${name}:`, logger.child({ backend: name })),
    tokens: new RedisTokenStore(services.redis, services.redisAvailability, `${services.keyPrefix}tokens:${name}:`),
  };
}
