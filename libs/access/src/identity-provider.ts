import type { Subject } from './subject';

/** Where a login comes from: rate limits and audit lines use it. */
export interface LoginContext {
  sourceAddress: string;
  reqId?: string;
}

/**
 * One way of checking a username and password (config users, robot accounts, OIDC ID tokens).
 * `undefined`: these credentials are not this provider's to judge (the next one is asked);
 * `'invalid'`: they are, and they are wrong.
 */
export interface IdentityProvider {
  readonly kind: Subject['kind'];
  authenticate(username: string, password: string, context: LoginContext): Promise<Subject | 'invalid' | undefined>;
  /**
   * Is a subject this provider authenticated earlier still valid (a robot not revoked or
   * expired)? Asked on every request made with a token, so it must be cheap.
   */
  stillValid?(subject: Subject): Promise<boolean>;
}

/** Failed-login throttling (per user and address, per address); see auth.loginLimits. */
export interface LoginThrottle {
  /** Throws OciError TOOMANYREQUESTS (with Retry-After) when this user or address is over its limit. */
  assertAllowed(username: string, context: LoginContext): Promise<void>;
  recordFailure(username: string, context: LoginContext): Promise<void>;
  recordSuccess(username: string, context: LoginContext): Promise<void>;
}
