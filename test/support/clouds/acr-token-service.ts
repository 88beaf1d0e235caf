import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jwtVerify, SignJWT } from 'jose';
import { parseBasic, readBody, sendJson } from './http-util';
import { parseScopes } from './registry-tokens';

/** The sentinel user name ACR pairs with a refresh token in Basic auth (`docker login` with AAD). */
export const ACR_REFRESH_USER = '00000000-0000-0000-0000-000000000000';

export interface AcrTokenServiceOptions {
  /** The login server name (`service` of the challenge). */
  service: string;
  /** AAD access tokens that are currently valid (what the test's TokenCredential hands out). */
  aadTokens: Set<string>;
  /** Admin user or service principal accepted as Basic. */
  basicUsers: Record<string, string>;
  refreshTokenTtlSeconds?: number;
  accessTokenTtlSeconds?: number;
}

/**
 * ACR's token endpoints: `POST /oauth2/exchange` (AAD access token -> ACR refresh token) and
 * `/oauth2/token` (refresh token, password grant or Basic -> access token). Both tokens are
 * JWTs whose `exp` callers cache by, as real ACR issues them.
 */
export class AcrTokenService {
  readonly calls = { exchange: 0, token: 0 };
  /** Every refresh and access token issued, to check that none leaks. */
  readonly issued: string[] = [];
  /** Forms posted to /oauth2/exchange, to check service and tenant. */
  readonly exchanges: Record<string, string>[] = [];
  private readonly key = randomBytes(32);
  /** Bumped by revokeIssued(); tokens carry the generation they were issued in. */
  private generation = 0;

  constructor(private readonly options: AcrTokenServiceOptions) {}

  /** Every refresh and access token issued so far stops working. */
  revokeIssued(): void {
    this.generation++;
  }

  /** Answers the request when it is one of the token endpoints. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/oauth2/exchange' && req.method === 'POST') {
      this.calls.exchange++;
      await this.exchange(new URLSearchParams(await readBody(req)), res);
      return true;
    }
    if (url.pathname === '/oauth2/token') {
      this.calls.token++;
      const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
      await this.token(req, params, res);
      return true;
    }
    return false;
  }

  /** The granted access of a valid access token, or undefined. */
  async verifyAccess(token: string | undefined): Promise<Map<string, Set<string>> | undefined> {
    const claims = await this.verify(token, 'access');
    if (!claims) return undefined;
    const access = claims.access as { type: string; name: string; actions: string[] }[];
    return new Map(access.map((a) => [`${a.type}:${a.name}`, new Set(a.actions)]));
  }

  private async exchange(form: URLSearchParams, res: ServerResponse): Promise<void> {
    this.exchanges.push(Object.fromEntries([...form].filter(([k]) => k !== 'access_token')));
    if (form.get('grant_type') !== 'access_token' || form.get('service') !== this.options.service) {
      return sendJson(res, 400, { errors: [{ code: 'UNSUPPORTED', message: 'grant_type and service are required' }] });
    }
    if (!this.options.aadTokens.has(form.get('access_token') ?? '')) {
      return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'AAD access token is invalid or expired' }] });
    }
    const ttl = this.options.refreshTokenTtlSeconds ?? 3 * 3600;
    sendJson(res, 200, { refresh_token: await this.sign({ kind: 'refresh' }, ttl) });
  }

  private async token(req: IncomingMessage, params: URLSearchParams, res: ServerResponse): Promise<void> {
    const scopes = params.getAll('scope');
    const grant = params.get('grant_type');
    let authenticated: boolean;
    if (grant === 'refresh_token') {
      authenticated = (await this.verify(params.get('refresh_token') ?? '', 'refresh')) !== undefined;
    } else {
      const basic = parseBasic(req.headers.authorization) ??
        (params.get('username') ? { username: params.get('username')!, password: params.get('password') ?? '' } : undefined);
      if (basic?.username === ACR_REFRESH_USER) authenticated = (await this.verify(basic.password, 'refresh')) !== undefined;
      else if (basic) authenticated = this.options.basicUsers[basic.username] === basic.password;
      else authenticated = true; // anonymous: a token without access (anonymous pull is off)
      if (basic && !authenticated) {
        return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      }
      if (!basic) scopes.length = 0;
    }
    if (!authenticated) return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'refresh token is invalid or expired' }] });
    const access = [...parseScopes(scopes)].map(([key, actions]) => {
      const [type, ...name] = key.split(':');
      return { type, name: name.join(':'), actions: [...actions] };
    });
    const ttl = this.options.accessTokenTtlSeconds ?? 3600;
    sendJson(res, 200, { access_token: await this.sign({ kind: 'access', access }, ttl) });
  }

  private async sign(claims: Record<string, unknown>, ttlSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...claims, gen: this.generation })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('Azure Container Registry')
      .setAudience(this.options.service)
      .setJti(randomBytes(8).toString('hex'))
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key);
    this.issued.push(token);
    return token;
  }

  private async verify(token: string | undefined, kind: string): Promise<Record<string, unknown> | undefined> {
    if (!token) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.key, { audience: this.options.service });
      return payload.kind === kind && payload.gen === this.generation ? payload : undefined;
    } catch {
      return undefined;
    }
  }
}
