import { Agent, request } from 'undici';
import { OciError } from '#oci';
import { CredentialsRejected } from '../generic/credentials';
import { jwtExpiry } from './jwt-expiry';

const BODY_LIMIT = 256 * 1024;
/** When ACR sends a token that is not a JWT (never seen), use it for this long. */
const FALLBACK_LIFETIME_MS = 10 * 60_000;

export interface AcrToken {
  token: string;
  /** The JWT's `exp` as epoch ms. */
  expiresAt: number;
}

/**
 * The two form POSTs of ACR's OAuth2 dance on the login server: `/oauth2/exchange` (AAD access
 * token -> ACR refresh token) and `/oauth2/token` (refresh token -> access token for scopes).
 * Tokens are returned with their JWT expiry; no token or form value is ever logged or put in an
 * error message.
 */
export class AcrOAuth {
  constructor(
    private readonly backend: string,
    private readonly dispatcher: Agent,
  ) {}

  async exchange(origin: string, form: { service: string; aadAccessToken: string; tenant?: string }): Promise<AcrToken> {
    const body = new URLSearchParams({ grant_type: 'access_token', service: form.service, access_token: form.aadAccessToken });
    if (form.tenant) body.set('tenant', form.tenant);
    const doc = await this.post(new URL('/oauth2/exchange', origin), body, 'exchange the AAD token for an ACR refresh token');
    return this.token(doc.refresh_token, 'refresh token');
  }

  /** Throws CredentialsRejected when ACR refuses the refresh token, so generic refetches it once. */
  async accessToken(realm: string, form: { service: string; scopes: string[]; refreshToken: string }): Promise<AcrToken> {
    const body = new URLSearchParams({ grant_type: 'refresh_token', service: form.service, refresh_token: form.refreshToken });
    // The OAuth2 form of the Docker token spec: scopes space-separated in one parameter.
    if (form.scopes.length) body.set('scope', form.scopes.join(' '));
    const doc = await this.post(new URL(realm), body, 'get an ACR access token', true);
    return this.token(doc.access_token, 'access token');
  }

  private async post(url: URL, body: URLSearchParams, action: string, rejectAsCredentials = false): Promise<Record<string, unknown>> {
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'gantry' },
        body: body.toString(),
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'network error';
      throw new OciError('UNAVAILABLE', `backend ${this.backend}: could not ${action} (${code})`);
    }
    const text = await readLimited(res.body);
    if (res.statusCode === 429) {
      const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : '10';
      throw new OciError('TOOMANYREQUESTS', `backend ${this.backend}: ACR is throttling Gantry trying to ${action}`, { headers: { 'retry-after': retryAfter } });
    }
    if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 400) {
      if (rejectAsCredentials) throw new CredentialsRejected(false);
      throw new OciError('UNAUTHORIZED', `backend ${this.backend}: ACR refused Gantry's credentials trying to ${action} (HTTP ${res.statusCode})`);
    }
    if (res.statusCode !== 200) {
      throw new OciError('UNAVAILABLE', `backend ${this.backend}: could not ${action} (HTTP ${res.statusCode})`);
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new OciError('UNAVAILABLE', `backend ${this.backend}: unreadable answer trying to ${action}`);
    }
  }

  private token(value: unknown, what: string): AcrToken {
    if (typeof value !== 'string' || !value) throw new OciError('UNAVAILABLE', `backend ${this.backend}: ACR sent no ${what}`);
    return { token: value, expiresAt: jwtExpiry(value) ?? Date.now() + FALLBACK_LIFETIME_MS };
  }
}

async function readLimited(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new OciError('UNAVAILABLE', 'ACR token response too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
