import type { Logger } from 'pino';
import type { BackendOfType } from '#config';
import type { BackendSharedState, Registry } from '../../port';
import type { Clock } from '../generic/clock';
import { EcrApi } from './ecr-api';
import { EcrCredentials } from './ecr-credentials';
import { EcrRegistry } from './ecr-registry';
import { credentialRefreshes } from '../generic/credential-refreshes';

/** `https://<registryId>.dkr.ecr.<region>.amazonaws.com` unless `registryUrl` says otherwise. */
export function ecrRegistryUrl(config: BackendOfType<'ecr'>): string {
  return config.registryUrl ?? `https://${config.registryId}.dkr.ecr.${config.region}.amazonaws.com`;
}

export interface EcrDeps {
  /** Time for token expiry (tests move their own; default the system clock). */
  clock?: Clock;
  /** Locks and tokens shared with the other gateway replicas. */
  shared?: BackendSharedState;
}

/** A `type: ecr` backend: credentials from the AWS default chain, or the configured static keys. */
export function createEcrRegistry(name: string, config: BackendOfType<'ecr'>, logger: Logger, deps: EcrDeps = {}): Registry {
  const api = new EcrApi(name, config);
  return new EcrRegistry({
    name,
    url: ecrRegistryUrl(config),
    api,
    credentials: new EcrCredentials(api, logger, deps.clock, credentialRefreshes(name, deps.shared)),
    region: config.region,
    registryId: config.registryId,
    createRepositories: config.createRepositories,
    allowedRealmHosts: config.allowedRealmHosts,
    blobMode: config.blobs,
    timeouts: config.timeouts,
    retries: config.retries,
    circuitBreaker: config.circuitBreaker,
    logger,
    clock: deps.clock,
    shared: deps.shared,
  });
}

export { EcrRegistry } from './ecr-registry';
export { EcrCredentials } from './ecr-credentials';
export { EcrApi } from './ecr-api';
