import { createHmac, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import type { IdentityProvider, LoginContext, LoginThrottle } from './identity-provider';
import type { Subject, SubjectKind } from './subject';

export interface AuthenticatorOptions {
  /** Asked in order; only those of the kind the credentials belong to are asked. */
  providers: readonly IdentityProvider[];
  throttle?: LoginThrottle;
  /** `iss` values of the configured OIDC issuers: a password that is a JWT from one of them is an OIDC login. */
  oidcIssuers: readonly string[];
  /** How long a successful login is remembered for Basic credentials sent with every request. */
  rememberMs: number;
}

const ROBOT_PREFIX = 'robot+';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Checks a username and password against the identity provider they belong to: a username
 * starting with `robot+` is a robot account's, a password that is a JWT from a configured OIDC
 * issuer is an OIDC ID token, anything else is a configured user's. Bad credentials are one
 * answer whatever the reason, so nothing tells whether a user exists.
 */
export class Authenticator {
  /** Keyed by an HMAC of the credentials under a per-process key: no password is ever held. */
  private readonly remembered: LRUCache<string, Subject>;
  private readonly rememberKey = randomBytes(32);

  constructor(private readonly options: AuthenticatorOptions) {
    this.remembered = new LRUCache({ max: 10_000, ttl: Math.max(1, options.rememberMs) });
  }

  /** The subject, or undefined for credentials that are wrong (or that no configured provider judges). */
  async login(username: string, password: string, context: LoginContext): Promise<Subject | undefined> {
    const { throttle } = this.options;
    await throttle?.assertAllowed(username, context);
    const kind = this.kindOf(username, password);
    let subject: Subject | undefined;
    for (const provider of this.options.providers) {
      if (provider.kind !== kind) continue;
      const answer = await provider.authenticate(username, password, context);
      if (answer === undefined) continue;
      if (answer !== 'invalid') subject = answer;
      break;
    }
    if (subject) await throttle?.recordSuccess(username, context);
    else await throttle?.recordFailure(username, context);
    return subject;
  }

  /**
   * `login` for credentials sent on every request (Basic on /v2/): a success is remembered for a
   * while, so the bcrypt cost is paid once. `stillValid` is still asked on every request.
   */
  async loginRemembered(username: string, password: string, context: LoginContext): Promise<Subject | undefined> {
    const key = createHmac('sha256', this.rememberKey).update(username).update('\0').update(password).digest('base64');
    const known = this.remembered.get(key);
    if (known) return known;
    const subject = await this.login(username, password, context);
    if (subject) this.remembered.set(key, subject);
    return subject;
  }

  /** Is a subject authenticated earlier still valid (not revoked, not removed)? Anonymous always is. */
  async stillValid(subject: Subject): Promise<boolean> {
    if (subject.kind === 'anonymous') return true;
    const provider = this.options.providers.find((p) => p.kind === subject.kind);
    if (!provider) return false;
    return provider.stillValid ? provider.stillValid(subject) : true;
  }

  private kindOf(username: string, password: string): SubjectKind {
    if (username.startsWith(ROBOT_PREFIX)) return 'robot';
    if (this.options.oidcIssuers.length > 0 && JWT_SHAPE.test(password)) {
      try {
        const { iss } = decodeJwt(password);
        if (typeof iss === 'string' && this.options.oidcIssuers.includes(iss)) return 'oidc';
      } catch {
        // not a JWT after all: a password
      }
    }
    return 'user';
  }
}
