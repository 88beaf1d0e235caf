import type { TokenCredential } from '@azure/core-auth';
import type { Logger } from 'pino';
import { OciError } from '#oci';
import type { BasicCredentials, CredentialSource, CredentialState } from '../generic/credentials';
import type { Clock } from '../generic/clock';
import { RefreshingSecret, type RefreshingSecretOptions } from '../generic/refreshing-secret';
import type { AcrOAuth } from './acr-oauth';
import { ACR_AUDIENCE } from './aad-credential';

/** The user name ACR pairs with a refresh token in Basic auth (what `az acr login` does). */
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

/** Where the exchange goes: the login server's origin and the `service` of its challenge. */
export interface ExchangeTarget {
  origin: string;
  service: string;
}

export interface AcrRefreshTokensOptions {
  backend: string;
  credential: TokenCredential;
  oauth: AcrOAuth;
  /** Used until a challenge names the real realm and service. */
  defaultTarget: ExchangeTarget;
  tenantId?: string;
  logger?: Logger;
  clock?: Clock;
  onFetched?: RefreshingSecretOptions['onFetched'];
}

/**
 * The ACR refresh token of Gantry's AAD identity: AAD access token -> `POST /oauth2/exchange`,
 * cached by the JWT's `exp` (renewed about 5 minutes early), one exchange for all concurrent
 * callers. As a CredentialSource it yields `00000000-…:<refresh token>`, which ACR accepts as
 * Basic too; its state is what the backend's status reports.
 */
export class AcrRefreshTokens implements CredentialSource {
  private target: ExchangeTarget;
  private readonly secret: RefreshingSecret<string>;

  constructor(private readonly options: AcrRefreshTokensOptions) {
    this.target = options.defaultTarget;
    this.secret = new RefreshingSecret(() => this.exchange(), { logger: options.logger, what: 'ACR refresh token', now: options.clock, onFetched: options.onFetched });
  }

  /** The refresh token for the registry behind `target` (learned from its challenge). */
  async refreshToken(target: ExchangeTarget): Promise<string> {
    if (target.origin !== this.target.origin || target.service !== this.target.service) {
      this.target = target;
      this.secret.reset();
    }
    return this.secret.get();
  }

  async getCredentials(): Promise<BasicCredentials> {
    return { username: ACR_REFRESH_TOKEN_USER, password: await this.secret.get() };
  }

  invalidate(): void {
    this.secret.invalidate('refresh token rejected by ACR');
  }

  state(): CredentialState {
    return this.secret.state();
  }

  private async exchange(): Promise<{ value: string; expiresAt: number }> {
    const { backend, credential, oauth, tenantId } = this.options;
    let aad;
    try {
      aad = await credential.getToken(`${ACR_AUDIENCE}/.default`);
    } catch (err) {
      // @azure/identity errors name the failing step and AAD's error code, never the secret.
      const reason = ((err as Error).name || 'error') + (err instanceof Error ? `: ${err.message.split('\n')[0]!.slice(0, 200)}` : '');
      throw new OciError('UNAUTHORIZED', `backend ${backend}: Azure AD refused Gantry's identity (${reason})`);
    }
    if (!aad?.token) throw new OciError('UNAUTHORIZED', `backend ${backend}: Azure AD issued no access token`);
    const { token, expiresAt } = await oauth.exchange(this.target.origin, { service: this.target.service, aadAccessToken: aad.token, tenant: tenantId });
    return { value: token, expiresAt };
  }
}
