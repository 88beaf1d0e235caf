export { GenericRegistry, type GenericRegistryOptions } from './generic-registry';
export { createGenericRegistry } from './factory';
export {
  StaticCredentials, staticCredentialsFrom, CredentialsRejected,
  type BasicCredentials, type BearerChallenge, type BearerTokenProvider, type CredentialSource, type CredentialState,
} from './credentials';
export { DockerTokenProvider } from './docker-token';
export { UpstreamClient, type UpstreamCall, type UpstreamReply, type UpstreamClientOptions } from './upstream-client';
export { parseWwwAuthenticate, selectChallenge, type AuthChallenge, type ParsedChallenge } from './challenge';
export { errorFromResponse, type Operation } from './error-mapping';
export type { ReferrersMode } from './native-referrers';
export { RefreshingSecret, type Expiring } from './refreshing-secret';
export { systemClock, type Clock } from './clock';
