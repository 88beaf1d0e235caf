import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { SigningCertificate } from './certificate';
import { freePort } from './temp';

export interface TokenServerOptions {
  certificate: SigningCertificate;
  service: string;
  issuer: string;
  /** user -> password; empty means anonymous only. */
  users?: Record<string, string>;
  /** Let anonymous callers pull. */
  anonymousPull?: boolean;
  expiresInSeconds?: number;
}

export interface TokenServer {
  url: string;
  realm: string;
  /** Every request seen, with the Authorization header it carried. */
  requests: { path: string; authorization?: string }[];
  stop(): Promise<void>;
}

/** The Docker token-auth spec's token endpoint, as distribution's `auth: token` expects it. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = await importPKCS8(toPkcs8(options.certificate.keyPem), 'RS256');
  const requests: TokenServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    void issue(req).then(
      (body) => {
        res.writeHead(body ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body ?? { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });

  async function issue(req: IncomingMessage): Promise<object | undefined> {
    const url = new URL(req.url ?? '/', 'http://x');
    const user = authenticate(req.headers.authorization);
    if (user === null) return undefined;
    const scopes = url.searchParams.getAll('scope');
    const access = scopes.flatMap((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = (rest.pop() ?? '').split(',');
      const name = rest.join(':');
      const granted = user ? actions : options.anonymousPull ? actions.filter((a) => a === 'pull') : [];
      return granted.length ? [{ type, name, actions: granted }] : [];
    });
    const expiresIn = options.expiresInSeconds ?? 300;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'RS256', x5c: [options.certificate.certDerBase64] })
      .setIssuer(options.issuer)
      .setSubject(user || 'anonymous')
      .setAudience(url.searchParams.get('service') ?? options.service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(key);
    return { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
  }

  /** '' = anonymous, null = rejected. */
  function authenticate(header: string | undefined): string | null {
    if (!header) return '';
    if (!header.startsWith('Basic ')) return null;
    const [user, password] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(/:(.*)/s);
    return user !== undefined && options.users?.[user] !== undefined && options.users[user] === password ? user : null;
  }

  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    realm: `${url}/token`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** openssl 3 writes PKCS#8 already; older ones write PKCS#1, which jose cannot import. */
function toPkcs8(pem: string): string {
  if (pem.includes('BEGIN PRIVATE KEY')) return pem;
  throw new Error('expected a PKCS#8 private key from openssl');
}
