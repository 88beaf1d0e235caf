import type { Logger } from 'pino';
import type { BackendOfType } from '#config';
import type { BackendSharedState } from '../../port';
import { staticCredentialsFrom } from './credentials';
import { GenericRegistry } from './generic-registry';

/** A `type: registry` backend from its configuration. */
export function createGenericRegistry(name: string, config: BackendOfType<'registry'>, logger: Logger, shared: BackendSharedState = {}): GenericRegistry {
  return new GenericRegistry({
    name,
    type: config.type,
    url: config.url,
    credentials: staticCredentialsFrom(config.credentials),
    allowedRealmHosts: config.allowedRealmHosts,
    blobMode: config.blobs,
    timeouts: config.timeouts,
    retries: config.retries,
    circuitBreaker: config.circuitBreaker,
    logger,
    shared,
  });
}
