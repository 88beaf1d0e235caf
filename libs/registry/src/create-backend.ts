import type { Logger } from 'pino';
import type { BackendConfig } from '#config';
import type { Registry } from './port';
import { createAcrRegistry } from './backends/acr';
import { createDockerHubRegistry } from './backends/dockerhub';
import { createEcrRegistry } from './backends/ecr';
import { createGarRegistry } from './backends/gar';
import { createGenericRegistry } from './backends/generic';
import { LocalRegistry } from './backends/local';

/** The one place a backend's configuration becomes a Registry. */
export async function createBackend(name: string, config: BackendConfig, logger: Logger): Promise<Registry> {
  const log = logger.child({ backend: name });
  switch (config.type) {
    case 'local':
      return new LocalRegistry(name, config).open();
    case 'registry':
      return createGenericRegistry(name, config, log);
    case 'dockerhub':
      return createDockerHubRegistry(name, config, log);
    case 'ecr':
      return createEcrRegistry(name, config, log);
    case 'gar':
      return createGarRegistry(name, config, log);
    case 'acr':
      return createAcrRegistry(name, config, log);
  }
}
