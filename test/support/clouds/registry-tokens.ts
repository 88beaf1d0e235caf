import { randomBytes } from 'node:crypto';

/** `repository:<name>:<actions>` scopes as the Docker token spec writes them. */
export function parseScopes(scopes: string[]): Map<string, Set<string>> {
  const access = new Map<string, Set<string>>();
  for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const parts = scope.split(':');
    if (parts.length < 3) continue;
    const actions = parts.pop()!.split(',');
    const name = parts.slice(1).join(':');
    const key = `${parts[0]}:${name}`;
    access.set(key, new Set([...(access.get(key) ?? []), ...actions]));
  }
  return access;
}

/** Opaque registry tokens with granted scopes and an expiry, as a cloud's token realm issues them. */
export class RegistryTokens {
  private readonly tokens = new Map<string, { expiresAt: number; access: Map<string, Set<string>> }>();
  /** Tokens issued so far, for tests that count realm round trips. */
  issued = 0;

  constructor(private readonly ttlSeconds = 3600) {}

  issue(scopes: string[]): { token: string; expiresIn: number } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { expiresAt: Date.now() + this.ttlSeconds * 1000, access: parseScopes(scopes) });
    this.issued++;
    return { token, expiresIn: this.ttlSeconds };
  }

  /** 'valid', 'insufficient' (a new token with the scope is needed) or 'invalid'. */
  check(token: string | undefined, type: string, name: string | undefined, action: string): 'valid' | 'insufficient' | 'invalid' {
    const entry = token ? this.tokens.get(token) : undefined;
    if (!entry || Date.now() >= entry.expiresAt) return 'invalid';
    if (name === undefined) return 'valid';
    const actions = entry.access.get(`${type}:${name}`);
    return actions && (actions.has(action) || actions.has('*')) ? 'valid' : 'insufficient';
  }

  revokeAll(): void {
    this.tokens.clear();
  }
}
