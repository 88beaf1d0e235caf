import { OciError } from '#oci';
import type { AuthClient } from 'google-auth-library';
import type { Logger } from 'pino';
import type { BasicCredentials, CredentialSource, CredentialState } from '../generic/credentials';
import type { Clock } from '../generic/clock';
import { RefreshingSecret, type RefreshingSecretOptions } from '../generic/refreshing-secret';
import { googleError } from './google-errors';

/** The user name Artifact Registry's token realm pairs with an OAuth2 access token. */
export const ACCESS_TOKEN_USER = 'oauth2accesstoken';

/** When the auth client reports no expiry (rare), ask it again after this long. */
const UNKNOWN_EXPIRY_MS = 10 * 60_000;

/**
 * `oauth2accesstoken:<access token>` for the registry's token realm, from any google-auth-library
 * client (service-account key, workload identity federation, GKE metadata server, gcloud user).
 * The library caches too; this layer adds one shared fetch, status, and a forced refresh when the
 * registry refuses a token the library still thinks is good.
 */
export class GoogleCredentials implements CredentialSource {
  private readonly token: RefreshingSecret<BasicCredentials>;
  private forceRefresh = false;

  constructor(
    private readonly backend: string,
    private readonly client: () => Promise<AuthClient>,
    logger?: Logger,
    clock?: Clock,
    onFetched?: RefreshingSecretOptions['onFetched'],
  ) {
    this.token = new RefreshingSecret(() => this.fetch(), { logger, what: 'Google access token', now: clock, onFetched });
  }

  getCredentials(): Promise<BasicCredentials> {
    return this.token.get();
  }

  invalidate(): void {
    this.forceRefresh = true;
    this.token.invalidate('access token rejected by Artifact Registry');
  }

  state(): CredentialState {
    return this.token.state();
  }

  /** The bare access token, for the Artifact Registry API client. */
  async accessToken(): Promise<string> {
    return (await this.token.get()).password;
  }

  private async fetch(): Promise<{ value: BasicCredentials; expiresAt: number }> {
    try {
      const client = await this.client();
      if (this.forceRefresh) {
        this.forceRefresh = false;
        // Every client type (OAuth2, JWT, external account, compute) refetches on an expired entry.
        client.setCredentials({ ...client.credentials, access_token: undefined, expiry_date: 1 });
      }
      const { token } = await client.getAccessToken();
      if (!token) throw new OciError('UNAUTHORIZED', `backend ${this.backend}: Google issued no access token`);
      const expiresAt = client.credentials.expiry_date ?? Date.now() + UNKNOWN_EXPIRY_MS;
      return { value: { username: ACCESS_TOKEN_USER, password: token }, expiresAt };
    } catch (err) {
      throw googleError(this.backend, 'get an access token', err);
    }
  }
}
