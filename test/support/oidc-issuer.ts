import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { freePort } from './temp';

export interface MintOptions {
  /** Default: the issuer's own URL. */
  issuer?: string;
  /** Default: `gantry`. */
  audience?: string | string[];
  /** Seconds from now (negative: already expired). Default 300. */
  expiresIn?: number;
  /** Seconds from now the token becomes valid. Default: now. */
  notBefore?: number;
}

export interface OidcIssuerStandIn {
  /** The issuer URL, as tokens' `iss` and the discovery document say it. */
  issuer: string;
  jwksUrl: string;
  /** Requests seen, by kind. */
  requests: { discovery: number; jwks: number };
  /** An ID token signed with the current key, with GitHub-Actions-like claims (`claims` override or add). */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A new key with a new `kid` signs from now on; the JWKS publishes only the new key. */
  rotate(): Promise<void>;
  stop(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** The claims GitHub Actions puts in an ID token of a push workflow on main of acme/app. */
export function githubActionsClaims(): Record<string, unknown> {
  return {
    sub: 'repo:acme/app:ref:refs/heads/main',
    repository: 'acme/app',
    repository_owner: 'acme',
    repository_id: '123456',
    repository_owner_id: '654321',
    repository_visibility: 'private',
    ref: 'refs/heads/main',
    ref_type: 'branch',
    sha: 'a'.repeat(40),
    workflow: 'build',
    job_workflow_ref: 'acme/app/.github/workflows/build.yml@refs/heads/main',
    actor: 'octocat',
    event_name: 'push',
    run_id: '42',
    run_attempt: '1',
    runner_environment: 'github-hosted',
  };
}

/**
 * A real OIDC issuer on a loopback port (node:http): `/.well-known/openid-configuration` and a
 * JWKS, and ID tokens signed with its own RSA key, like token.actions.githubusercontent.com.
 */
export async function startOidcIssuer(): Promise<OidcIssuerStandIn> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const jwksUrl = `${issuer}/.well-known/jwks`;
  const requests = { discovery: 0, jwks: 0 };
  let key = await newKey();
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      requests.discovery++;
      send(200, {
        issuer,
        jwks_uri: jwksUrl,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: Object.keys(githubActionsClaims()),
        scopes_supported: ['openid'],
      });
    } else if (req.url === '/.well-known/jwks') {
      requests.jwks++;
      send(200, { keys: [key.publicJwk] });
    } else {
      send(404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    jwksUrl,
    requests,
    async mint(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...githubActionsClaims(), ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? 'gantry')
        .setIssuedAt(now)
        .setNotBefore(now + (options.notBefore ?? 0))
        .setExpirationTime(now + (options.expiresIn ?? 300))
        .setJti(randomUUID())
        .sign(key.privateKey);
    },
    async rotate() {
      key = await newKey();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
