import { decodeJwt, errors, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import { OciError } from '#oci';
import type { IdentityProvider, LoginContext } from '../identity-provider';
import type { Subject } from '../subject';
import { IssuerKeys, OidcIssuerUnavailable, type IssuerKeysOptions, type OidcIssuerConfig } from './oidc-issuer-keys';
import { oidcSubject } from './oidc-subject';

/** Asymmetric signatures only: never `none`, never HS* (an issuer's public key is not a shared secret). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Clock skew allowed between the issuer and Gantry for exp, nbf and iat. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** jose failures that are about the issuer being unreachable or broken, not about the token. */
const ISSUER_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

export interface OidcIdentitiesOptions extends Partial<IssuerKeysOptions> {
  /** For tests: the time tokens are judged at. */
  currentDate?: () => Date;
}

/**
 * OIDC federation for CI: an ID token of a configured issuer (GitHub Actions, GitLab CI, Google,
 * Azure AD, Keycloak) is accepted as the password, whatever the username. It is verified against
 * the issuer's published keys: issuer exact, audience, exp/nbf/iat, an asymmetric algorithm.
 * Any password that is a JWT naming an issuer is this provider's to judge; one naming an issuer
 * that is not configured is 'invalid'. The token itself is never logged.
 */
export class OidcIdentities implements IdentityProvider {
  readonly kind = 'oidc';
  private readonly issuers = new Map<string, { config: OidcIssuerConfig; keys: IssuerKeys }>();

  constructor(
    issuers: readonly OidcIssuerConfig[],
    private readonly logger: Logger,
    private readonly options: OidcIdentitiesOptions = {},
  ) {
    const keyOptions: IssuerKeysOptions = {
      cooldownMs: options.cooldownMs ?? 30_000,
      maxAgeMs: options.maxAgeMs ?? 600_000,
      timeoutMs: options.timeoutMs ?? 5_000,
    };
    for (const config of issuers) this.issuers.set(config.issuer, { config, keys: new IssuerKeys(config, keyOptions) });
  }

  async authenticate(_username: string, password: string, context: LoginContext): Promise<Subject | 'invalid' | undefined> {
    const iss = unverifiedIssuer(password);
    if (iss === undefined) return undefined;
    const issuer = this.issuers.get(iss);
    if (!issuer) return this.reject(context, undefined, 'issuer not configured');
    const { config, keys } = issuer;
    try {
      const { payload } = await jwtVerify(password, await keys.getKey(), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
        ...(this.options.currentDate ? { currentDate: this.options.currentDate() } : {}),
      });
      return oidcSubject(config, payload) ?? this.reject(context, config.name, `no "${config.subjectClaim}" claim`);
    } catch (err) {
      if (err instanceof errors.JOSEError && !ISSUER_FAILURES.has(err.code)) return this.reject(context, config.name, `${err.code}: ${err.message}`);
      const reason = err instanceof OidcIssuerUnavailable ? err.message : `keys of ${config.issuer} could not be fetched: ${(err as Error).message}`;
      this.logger.warn({ issuer: config.name, reqId: context.reqId, reason }, 'oidc issuer unavailable');
      throw new OciError('UNAVAILABLE', `the OIDC issuer "${config.name}" cannot be reached to verify the token`);
    }
  }

  private reject(context: LoginContext, issuer: string | undefined, reason: string): 'invalid' {
    this.logger.info({ ...(issuer ? { issuer } : {}), reqId: context.reqId, sourceAddress: context.sourceAddress, reason }, 'oidc token rejected');
    return 'invalid';
  }
}

/** The `iss` of a password that is a JWT, read without verifying anything; undefined for any other password. */
function unverifiedIssuer(password: string): string | undefined {
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(password)) return undefined;
  try {
    const { iss } = decodeJwt(password);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}
