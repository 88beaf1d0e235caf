import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { requireTool } from '../support/tools';

/** Test users and their passwords (bcrypt at the lowest cost the schema accepts, for speed). */
export const PASSWORDS = {
  alice: 'alice-Secret-4711',
  bob: 'bob-Secret-0815',
  carol: 'carol-Secret-1234',
} as const;

export type UserName = keyof typeof PASSWORDS;

export function usersConfig(groups: Partial<Record<UserName, string[]>> = {}): { name: string; passwordHash: string; groups: string[] }[] {
  return (Object.keys(PASSWORDS) as UserName[]).map((name) => ({ name, passwordHash: hashSync(PASSWORDS[name], 4), groups: groups[name] ?? [] }));
}

export function basic(user: UserName): string {
  return `Basic ${Buffer.from(`${user}:${PASSWORDS[user]}`).toString('base64')}`;
}

export interface AuthGateway {
  gateway: GatewayProcess;
  /** The signing key file (PKCS#8 PEM) the gateway generated or loaded. */
  keyFile: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A gateway with one local store, `auth` merged over the test users, and the signing key in a
 * directory the test can read (to forge tokens with the real key, or to restart on it).
 */
export async function startAuthGateway(
  auth: Record<string, unknown>,
  options: { dir?: string; keyFile?: string; policies?: Record<string, unknown>[] } = {},
): Promise<AuthGateway> {
  const dir = options.dir ?? tempDir('auth-gateway').path;
  const keyFile = options.keyFile ?? join(dir, 'keys', 'signing.pem');
  const gateway = await startGateway({
    backends: { store: { type: 'local', path: join(dir, 'store') } },
    routes: [{ prefix: '', backend: 'store' }],
    auth: { users: usersConfig(), signingKey: { file: keyFile }, ...auth },
    ...(options.policies ? { policies: options.policies } : {}),
  });
  return { gateway, keyFile, dir, stop: async () => void (await gateway.stop()) };
}

export interface TokenAnswer {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
  scope?: string;
}

/** GET /token for `scopes` as `user` (or anonymously). */
export async function fetchToken(gateway: GatewayProcess, user: UserName | undefined, scopes: string[]): Promise<TokenAnswer> {
  const url = new URL('/token', gateway.url);
  url.searchParams.set('service', 'gantry');
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const res = await fetch(url, { headers: user ? { authorization: basic(user) } : {} });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as TokenAnswer;
}

/** The `access` claim of a token (not verified: the test only reads what it was given). */
export function accessClaim(token: string): { type: string; name: string; actions: string[] }[] {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { access: { type: string; name: string; actions: string[] }[] };
  return payload.access;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/**
 * Asserts that none of `secrets` (passwords, tokens, key material) appears in any line a process
 * printed, its audit lines included.
 */
export function assertNoSecrets(logs: readonly string[], secrets: readonly string[]): void {
  const text = logs.join('');
  assert.ok(text.length > 0, 'the process logged something');
  for (const secret of secrets.filter((s) => s.length >= 8)) {
    assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the logs`);
  }
}

/** The real skopeo with one authfile kept across calls (login, then copy), plain HTTP to loopback. */
export class SkopeoSession {
  private readonly home = tempDir('skopeo-session');
  readonly authFile = join(this.home.path, 'auth.json');

  async run(args: string[]): Promise<{ stdout: string; stderr: string }> {
    requireTool('skopeo');
    return new Promise((resolve, reject) => {
      execFile('skopeo', args, { env: { ...process.env, HOME: this.home.path, XDG_RUNTIME_DIR: this.home.path }, timeout: 120000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`skopeo ${args[0]} failed: ${stderr || err.message}`)) : resolve({ stdout, stderr })));
    });
  }

  login(host: string, user: UserName): Promise<unknown> {
    return this.loginAs(host, user, PASSWORDS[user]);
  }

  /** Any username and password: a robot's `robot+<name>` and secret, `oidc` and an ID token. */
  loginAs(host: string, username: string, password: string): Promise<unknown> {
    return this.run(['login', '--authfile', this.authFile, '--tls-verify=false', '-u', username, '-p', password, host]);
  }

  copy(from: string, to: string): Promise<unknown> {
    return this.run(['copy', '--authfile', this.authFile, '--src-tls-verify=false', '--dest-tls-verify=false', from, to]);
  }

  remove(): void {
    this.home.remove();
  }
}
