import {
  AccessExplainer, AccessRules, type Authenticator, type ExplainExtensions, type IdentityProvider, type LoginThrottle,
  type SigningKeys, type TokenService,
} from '#access';
import type { AuthConfig, GantryConfig } from '#config';

/** Everything access control is made of, built once from the `auth` section. */
export interface AccessControl {
  auth: AuthConfig;
  /** `server.publicUrl` without a trailing slash: the realm's base when set. */
  publicUrl?: string;
  /** The realm's host when there is no publicUrl and the request's Host header is unusable. */
  listenHost: string;
  rules: AccessRules;
  tokens: TokenService;
  authenticator: Authenticator;
  explainer: AccessExplainer;
  keys: SigningKeys;
}

/** What the other parts of access control bring (robot accounts, OIDC, login limits); the gateway passes what exists. */
export interface AccessPlugins {
  /** Identity providers besides the config users, asked in this order before them. */
  providers?: readonly IdentityProvider[];
  throttle?: LoginThrottle;
  explain?: ExplainExtensions;
}

/** Null without an `auth` section: the gateway then serves anonymously (and says so at start). */
export async function createAccessControl(config: GantryConfig, plugins: AccessPlugins = {}): Promise<AccessControl | null> {
  const auth = config.auth;
  if (!auth) return null;
  // Loaded here, not at start: a gateway without `auth` never needs jose or bcryptjs.
  const { Authenticator, ConfigUsers, loadSigningKeys, TokenService } = await import('#access/auth');
  const users = new ConfigUsers(auth.users);
  const rules = new AccessRules(auth.rules);
  const keys = await loadSigningKeys(auth.signingKey.file, auth.signingKey.previous);
  const tokens = new TokenService(keys, {
    issuer: auth.issuer,
    service: auth.service,
    tokenTtlMs: auth.tokenTtl,
    refreshTokenTtlMs: auth.refreshTokenTtl,
  });
  const authenticator = new Authenticator({
    providers: [...(plugins.providers ?? []), users],
    ...(plugins.throttle ? { throttle: plugins.throttle } : {}),
    oidcIssuers: auth.oidc.map((o) => o.issuer),
    // Basic on every request: remembered no longer than a token would be.
    rememberMs: auth.tokenTtl,
  });
  const publicUrl = config.server.publicUrl?.replace(/\/+$/, '');
  return {
    auth,
    ...(publicUrl ? { publicUrl } : {}),
    listenHost: config.server.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:'),
    rules,
    tokens,
    authenticator,
    explainer: new AccessExplainer(rules, users, plugins.explain),
    keys,
  };
}

/** Injection token of the AccessControl (null without `auth`). */
export const ACCESS_CONTROL = Symbol('AccessControl');

/** Optional injection token of the AccessPlugins (robot accounts, OIDC, login throttle, explain extensions). */
export const ACCESS_PLUGINS = Symbol('AccessPlugins');
