import type { Logger } from 'pino';
import { backendSharedState, type CacheServices } from '#cache';
import type { GantryConfig } from '#config';
import { type BackendObserver, createBackend, type Registry } from '#registry';

/**
 * Every configured backend, sharing the cache services' Redis state (tokens, locks). A backend
 * that cannot be built closes the cache services: their Redis connection would keep a process
 * that failed to start alive.
 */
export async function createBackends(config: GantryConfig, logger: Logger, cache: CacheServices, observer?: BackendObserver): Promise<Map<string, Registry>> {
  const backends = new Map<string, Registry>();
  try {
    for (const [name, backendConfig] of Object.entries(config.backends)) {
      const shared = { ...backendSharedState(cache, name, logger), ...(observer ? { observer } : {}) };
      backends.set(name, await createBackend(name, backendConfig, logger, shared));
    }
  } catch (err) {
    await cache.close();
    throw err;
  }
  return backends;
}
