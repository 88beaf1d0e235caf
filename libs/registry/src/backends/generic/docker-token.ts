import { request, type Dispatcher } from 'undici';
import { OciError, readBounded } from '#oci';
import { discard } from './body';
import { systemClock, type Clock } from './clock';
import { CredentialsRejected, type BearerChallenge, type BearerTokenProvider, type CredentialSource } from './credentials';
import { unavailable } from './error-mapping';

/** The token spec's default when a realm omits `expires_in`. */
const DEFAULT_EXPIRES_IN_SECONDS = 60;
const TOKEN_BODY_LIMIT = 1024 * 1024;

/**
 * The Docker token-auth spec's token fetch: `GET realm?service=&scope=` (scope repeated), Basic
 * credentials when the source has some, anonymous otherwise. The realm was checked against the
 * backend's allowlist before this is called.
 */
export class DockerTokenProvider implements BearerTokenProvider {
  constructor(
    private readonly backend: string,
    private readonly dispatcher: Dispatcher,
    private readonly credentials: CredentialSource | undefined,
    private readonly userAgent: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async fetchToken(challenge: BearerChallenge, scopes: string[]): Promise<{ token: string; expiresAt: number }> {
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const credentials = await this.credentials?.getCredentials();
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (credentials) {
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    const started = this.clock();
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers, dispatcher: this.dispatcher });
    } catch (err) {
      throw unavailable(this.backend, err);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      await discard(res.body);
      throw new CredentialsRejected(!credentials);
    }
    if (res.statusCode !== 200) {
      await discard(res.body);
      throw new OciError('UNAVAILABLE', `token service of backend ${this.backend} answered HTTP ${res.statusCode}`);
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      const bytes = await readBounded(res.body, TOKEN_BODY_LIMIT, () => new Error('token response too large'));
      doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
    } catch {
      throw new OciError('UNAVAILABLE', `token service of backend ${this.backend} sent an unreadable response`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) throw new OciError('UNAVAILABLE', `token service of backend ${this.backend} sent no token`);
    const expiresIn = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_EXPIRES_IN_SECONDS;
    // Our own clock, not `issued_at`: a skewed upstream clock must not make tokens look expired.
    return { token, expiresAt: started + expiresIn * 1000 };
  }
}
