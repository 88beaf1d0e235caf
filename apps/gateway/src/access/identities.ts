import type { Provider, Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { createRobotAccounts, LoginRateLimiter, OidcIdentities, RobotAccounts } from '#access';
import type { CacheServices } from '#cache';
import type { AuthConfig } from '#config';
import { RobotsAdminController } from '../admin/robots-admin.controller';
import type { AdmissionGate } from '../v2/admission-gate';
import type { AccessPlugins } from './access-control';

/** The identities besides config users, and the failed-login throttle, built once from `auth`. */
export interface Identities {
  robots: RobotAccounts;
  oidc: OidcIdentities;
  throttle: LoginRateLimiter;
}

/** With Redis (`cache.redis`): robots and failure counts shared by all replicas; else a file and memory. */
export function createIdentities(auth: AuthConfig, cache: CacheServices, logger: Logger): Identities {
  const shared = cache.redis && cache.keyPrefix !== undefined ? { redis: cache.redis, keyPrefix: cache.keyPrefix } : undefined;
  const robots = createRobotAccounts(auth, cache);
  logger.info({ store: robots.storeKind, oidcIssuers: auth.oidc.map((o) => o.name) }, 'identities: robot accounts and OIDC issuers ready');
  return { robots, oidc: new OidcIdentities(auth.oidc, logger), throttle: new LoginRateLimiter(auth.loginLimits, shared) };
}

/** The robots admin API, only with an `auth` section. */
export function identityControllers(identities: Identities | undefined): Type[] {
  return identities ? [RobotsAdminController] : [];
}

export function identityProviders(identities: Identities | undefined): Provider[] {
  if (!identities) return [];
  return [
    { provide: RobotAccounts, useValue: identities.robots },
    { provide: OidcIdentities, useValue: identities.oidc },
    { provide: LoginRateLimiter, useValue: identities.throttle },
  ];
}

/**
 * What access control takes from the identities: providers asked before the config users (OIDC
 * claims a password that is an ID token, robots a `robot+` username), the failed-login throttle,
 * and the robot directory for explain answers.
 */
export function identityPlugins(identities: Identities | undefined): AccessPlugins {
  if (!identities) return {};
  return { providers: [identities.oidc, identities.robots], throttle: identities.throttle, explain: { robots: identities.robots } };
}

/** Explain answers for a pull with a reference carry what the pull policies decide for it now. */
export function withPullPolicyExplain(plugins: AccessPlugins, gate: AdmissionGate): AccessPlugins {
  return { ...plugins, explain: { ...plugins.explain, pullPolicies: { explain: ({ repository, reference }) => gate.explain(repository, reference) } } };
}
