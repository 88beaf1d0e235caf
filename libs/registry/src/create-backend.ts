import type { Logger } from 'pino';
import type { BackendConfig } from '#config';
import type { BackendSharedState, Registry } from './port';

/**
 * The one place a backend's configuration becomes a Registry. Backends load on demand: the
 * cloud SDKs cost half a second of start-up each and most deployments use one or two of them.
 * `shared` holds what replicas share (locks, tokens) when the gateway has Redis.
 */
export async function createBackend(name: string, config: BackendConfig, logger: Logger, shared: BackendSharedState = {}): Promise<Registry> {
  const log = logger.child({ backend: name });
  switch (config.type) {
    case 'local': {
      const { LocalRegistry } = await import('./backends/local/index.js');
      return new LocalRegistry(name, config).open();
    }
    case 'registry':
      return (await import('./backends/generic/index.js')).createGenericRegistry(name, config, log, shared);
    case 'dockerhub':
      return (await import('./backends/dockerhub/index.js')).createDockerHubRegistry(name, config, log, shared);
    case 'ecr':
      return (await import('./backends/ecr/index.js')).createEcrRegistry(name, config, log, { shared });
    case 'gar':
      return (await import('./backends/gar/index.js')).createGarRegistry(name, config, log, { shared });
    case 'acr':
      return (await import('./backends/acr/index.js')).createAcrRegistry(name, config, log, { shared });
  }
}
