import type { ContainerRegistryClientOptions } from '@azure/container-registry';
import type { TokenCredential } from '@azure/core-auth';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import type { BackendOfType } from '#config';
import type { BackendSharedState, Registry } from '../../port';
import { staticCredentialsFrom, type Clock } from '../generic';
import { AcrApi } from './acr-api';
import { AcrOAuth } from './acr-oauth';
import { AcrRefreshTokens } from './acr-refresh-tokens';
import { AcrRegistry } from './acr-registry';
import { AcrTokenProvider } from './acr-token-provider';
import { credentialRefreshes } from '../generic/credential-refreshes';
import { aadCredentialFor } from './aad-credential';

type AcrConfig = BackendOfType<'acr'>;

export interface AcrDeps {
  /** An AAD identity to use instead of the configured one (tests: @azure/identity refuses http authorities). */
  credential?: TokenCredential;
  /** Extra Azure SDK options for the control plane (tests: `tlsOptions.ca` for a self-signed stand-in). */
  clientOptions?: ContainerRegistryClientOptions;
  /** Time for token expiry (tests move their own; default the system clock). */
  clock?: Clock;
  /** Locks and tokens shared with the other gateway replicas. */
  shared?: BackendSharedState;
}

/** `registry` is a name (`myregistry`) or already a login server (`myregistry.azurecr.io`). */
export function acrLoginServer(config: AcrConfig): string {
  return config.registry.includes('.') ? config.registry : `${config.registry}.azurecr.io`;
}

export function acrRegistryUrl(config: AcrConfig): string {
  return config.registryUrl ?? `https://${acrLoginServer(config)}`;
}

/**
 * A `type: acr` backend. `credentials: {username, password}` (admin user, service principal id
 * and secret, or a repository-scoped token) is plain Basic to the token realm; otherwise an AAD
 * identity (`{tenantId, clientId, clientSecret}` or DefaultAzureCredential) goes through
 * `/oauth2/exchange` and `/oauth2/token`.
 */
export function createAcrRegistry(name: string, config: AcrConfig, logger: Logger, deps: AcrDeps = {}): Registry {
  const url = acrRegistryUrl(config);
  const common = {
    name, url,
    allowedRealmHosts: config.allowedRealmHosts,
    blobMode: config.blobs,
    timeouts: config.timeouts,
    retries: config.retries,
    circuitBreaker: config.circuitBreaker,
    logger,
    clock: deps.clock,
    shared: deps.shared,
  };
  const credentials = config.credentials;
  if (credentials && 'username' in credentials && !deps.credential) {
    return new AcrRegistry({ ...common, credentials: staticCredentialsFrom(credentials), auth: 'basic' });
  }
  const credential = deps.credential ?? aadCredentialFor(config);
  const dispatcher = new Agent({
    connect: { timeout: config.timeouts.connectMs },
    headersTimeout: config.timeouts.readMs,
    bodyTimeout: config.timeouts.readMs,
  });
  const oauth = new AcrOAuth(name, dispatcher);
  const loginServer = new URL(url);
  const refreshTokens = new AcrRefreshTokens({
    backend: name,
    credential,
    oauth,
    defaultTarget: { origin: loginServer.origin, service: acrLoginServer(config) },
    tenantId: credentials && 'tenantId' in credentials ? credentials.tenantId : undefined,
    logger,
    clock: deps.clock,
    onFetched: credentialRefreshes(name, deps.shared),
  });
  return new AcrRegistry({
    ...common,
    credentials: refreshTokens,
    tokenProvider: new AcrTokenProvider(oauth, refreshTokens, acrLoginServer(config), deps.clock),
    api: new AcrApi(name, config.apiEndpoint ?? url, credential, { retries: config.retries, clientOptions: deps.clientOptions }),
    closeAuth: () => dispatcher.close(),
    auth: 'aad',
  });
}

export { AcrRegistry } from './acr-registry';
export { AcrRefreshTokens, ACR_REFRESH_TOKEN_USER } from './acr-refresh-tokens';
export { AcrTokenProvider } from './acr-token-provider';
