import { systemClock, type Clock } from '../generic/clock';
import type { BearerChallenge, BearerTokenProvider } from '../generic/credentials';
import type { AcrOAuth } from './acr-oauth';
import type { AcrRefreshTokens } from './acr-refresh-tokens';

/** ACR access tokens are renewed this long before their `exp` (the SDK's own window)... */
const EARLY_MS = 5 * 60_000;
/** ...but never earlier than this fraction of their lifetime, for short test tokens. */
const EARLY_FRACTION = 0.2;

/**
 * Replaces generic's Docker token GET for AAD identities: the refresh token from the exchange
 * is posted to the challenge's realm (`/oauth2/token`) for the scopes at hand. Generic caches
 * the result per scope set until the expiry returned here, and coalesces concurrent fetches.
 */
export class AcrTokenProvider implements BearerTokenProvider {
  constructor(
    private readonly oauth: AcrOAuth,
    private readonly refreshTokens: AcrRefreshTokens,
    /** The login server's host, when a challenge omits `service` (ACR always sends it). */
    private readonly defaultService: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async fetchToken(challenge: BearerChallenge, scopes: string[]): Promise<{ token: string; expiresAt: number }> {
    const service = challenge.service ?? this.defaultService;
    const origin = new URL(challenge.realm).origin;
    const refreshToken = await this.refreshTokens.refreshToken({ origin, service });
    const started = this.clock();
    const { token, expiresAt } = await this.oauth.accessToken(challenge.realm, { service, scopes, refreshToken });
    const early = Math.min(EARLY_MS, Math.max(0, expiresAt - started) * EARLY_FRACTION);
    return { token, expiresAt: expiresAt - early };
  }
}
