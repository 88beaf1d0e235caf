import { GoogleAuth, type AuthClient } from 'google-auth-library';
import type { Logger } from 'pino';
import type { BackendOfType } from '#config';
import type { BackendSharedState, Registry } from '../../port';
import type { Clock } from '../generic/clock';
import { GarApi } from './gar-api';
import { authClientFromFile } from './google-credentials-file';
import { gcrRepositoryOf, GarRegistry } from './gar-registry';
import { GoogleCredentials } from './google-credentials';
import { credentialRefreshes } from '../generic/credential-refreshes';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface GarDeps {
  /** An auth client to use instead of the one `credentialsFile` / ADC would give (tests). */
  authClient?: AuthClient;
  /** Time for token expiry (tests move their own; default the system clock). */
  clock?: Clock;
  /** Locks and tokens shared with the other gateway replicas. */
  shared?: BackendSharedState;
}

/** `https://<location>-docker.pkg.dev` unless `registryUrl` says otherwise. */
export function garRegistryUrl(config: BackendOfType<'gar'>): string {
  return config.registryUrl ?? `https://${config.location}-docker.pkg.dev`;
}

/**
 * A `type: gar` backend. Identity: `credentialsFile` (service-account key, external_account for
 * workload identity federation, authorized_user), else Application Default Credentials (GKE
 * workload identity, the metadata server, gcloud).
 */
export function createGarRegistry(name: string, config: BackendOfType<'gar'>, logger: Logger, deps: GarDeps = {}): Registry {
  let client: () => Promise<AuthClient>;
  let api: GarApi;
  const authClient = deps.authClient ?? (config.credentialsFile ? authClientFromFile(name, config.credentialsFile, [CLOUD_PLATFORM_SCOPE]) : undefined);
  if (authClient) {
    client = async () => authClient;
    api = new GarApi(name, config, { authClient });
  } else {
    const googleAuth = new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
    client = () => googleAuth.getClient() as Promise<AuthClient>;
    api = new GarApi(name, config, { googleAuth });
  }
  const url = garRegistryUrl(config);
  return new GarRegistry({
    name,
    url,
    gcrRepository: gcrRepositoryOf(url),
    api,
    credentials: new GoogleCredentials(name, client, logger, deps.clock, credentialRefreshes(name, deps.shared)),
    project: config.project,
    location: config.location,
    repository: config.repository,
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

export { GarRegistry, gcrRepositoryOf } from './gar-registry';
export { GoogleCredentials, ACCESS_TOKEN_USER } from './google-credentials';
export { GarApi } from './gar-api';
