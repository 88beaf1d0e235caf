import type { TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import type { BackendOfType } from '#config';

/** The AAD audience of ACR's data and control planes (public cloud); scopes are `<audience>/.default`. */
export const ACR_AUDIENCE = 'https://containerregistry.azure.net';

/**
 * The Azure AD identity Gantry acts as for an `acr` backend without admin credentials: a service
 * principal with a client secret when `credentials.tenantId` is set, otherwise the default chain
 * (environment service principal, workload identity on AKS, managed identity, Azure CLI).
 */
export function aadCredentialFor(config: BackendOfType<'acr'>): TokenCredential {
  const options = {
    ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
    ...(config.disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
  };
  const credentials = config.credentials;
  if (credentials && 'tenantId' in credentials) {
    return new ClientSecretCredential(credentials.tenantId, credentials.clientId, credentials.clientSecret, options);
  }
  return new DefaultAzureCredential(options);
}
