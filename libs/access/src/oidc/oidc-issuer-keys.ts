import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '#config';

export type OidcIssuerConfig = AuthConfig['oidc'][number];

/** The issuer's discovery document or JWKS could not be had: the login cannot be judged now (503, not 401). */
export class OidcIssuerUnavailable extends Error {
  override readonly name = 'OidcIssuerUnavailable';
}

export interface IssuerKeysOptions {
  /** Once the keys were fetched, an unknown `kid` refetches them no more often than this (jose's cooldown). */
  cooldownMs: number;
  /** Keys are refetched when older than this, whatever the tokens say. */
  maxAgeMs: number;
  /** Discovery and JWKS requests give up after this. */
  timeoutMs: number;
}

/**
 * The signing keys of one issuer: its JWKS, from `jwksUrl` or else the `jwks_uri` of its
 * discovery document (fetched once; a failed discovery is tried again on the next login). jose
 * caches the key set, refetches it when a token names a key it lacks (key rotation) at most once
 * per cooldown, and coalesces concurrent fetches.
 */
export class IssuerKeys {
  private keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(
    private readonly issuer: OidcIssuerConfig,
    private readonly options: IssuerKeysOptions,
  ) {}

  /** The key lookup for jwtVerify. */
  async getKey(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.resolve().catch((err: unknown) => {
      this.keys = undefined;
      throw err;
    });
    return this.keys;
  }

  private async resolve(): Promise<JWTVerifyGetKey> {
    const jwksUrl = this.issuer.jwksUrl ?? (await this.discoverJwksUri());
    return createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: this.options.cooldownMs,
      cacheMaxAge: this.options.maxAgeMs,
      timeoutDuration: this.options.timeoutMs,
    });
  }

  private async discoverJwksUri(): Promise<string> {
    const url = `${this.issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let doc: unknown;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      doc = await response.json();
    } catch (err) {
      throw new OidcIssuerUnavailable(`OIDC discovery at ${url} failed: ${(err as Error).message}`, { cause: err });
    }
    const { issuer, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery: the document must name the very issuer it was fetched for.
    if (issuer !== this.issuer.issuer) throw new OidcIssuerUnavailable(`OIDC discovery at ${url} names issuer ${JSON.stringify(issuer)}`);
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new OidcIssuerUnavailable(`OIDC discovery at ${url} has no valid jwks_uri`);
    return jwksUri;
  }
}
