import type { Logger } from 'pino';
import type { BackendOfType } from '#config';
import type { Registry } from '../../port';
import { EcrApi } from './ecr-api';
import { EcrCredentials } from './ecr-credentials';
import { EcrRegistry } from './ecr-registry';

/** `https://<registryId>.dkr.ecr.<region>.amazonaws.com` unless `registryUrl` says otherwise. */
export function ecrRegistryUrl(config: BackendOfType<'ecr'>): string {
  return config.registryUrl ?? `https://${config.registryId}.dkr.ecr.${config.region}.amazonaws.com`;
}

/** A `type: ecr` backend: credentials from the AWS default chain, or the configured static keys. */
export function createEcrRegistry(name: string, config: BackendOfType<'ecr'>, logger: Logger): Registry {
  const api = new EcrApi(name, config);
  return new EcrRegistry({
    name,
    url: ecrRegistryUrl(config),
    api,
    credentials: new EcrCredentials(api, logger),
    region: config.region,
    registryId: config.registryId,
    createRepositories: config.createRepositories,
    allowedRealmHosts: config.allowedRealmHosts,
    blobMode: config.blobs,
    timeouts: config.timeouts,
    retries: config.retries,
    circuitBreaker: config.circuitBreaker,
    logger,
  });
}

export { EcrRegistry } from './ecr-registry';
export { EcrCredentials } from './ecr-credentials';
export { EcrApi } from './ecr-api';
