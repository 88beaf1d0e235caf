import type { Provider, Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { createRobotAccounts, LoginRateLimiter, OidcIdentities, RobotAccounts } from '#access/auth';
import type { CacheServices } from '#cache';
import type { AuthConfig } from '#config';
import { RobotsAdminController } from '../admin/robots-admin.controller';
import type { AccessPlugins } from './access-control';

/**
 * The identities besides config users (robot accounts, OIDC) and the failed-login throttle, as
 * the app module takes them. Only a gateway with `auth` loads this file (and jose, bcryptjs, the
 * rate limiter with it): create-gateway.ts imports it on demand.
 */
export interface IdentityWiring {
  /** The robots admin API. */
  controllers: Type[];
  providers: Provider[];
  /**
   * What access control takes from them: providers asked before the config users (OIDC claims a
   * password that is an ID token, robots a `robot+` username), the throttle, and the robot
   * directory for explain answers.
   */
  plugins: AccessPlugins;
}

/** With Redis (`cache.redis`): robots and failure counts shared by all replicas; else a file and memory. */
export function createIdentities(auth: AuthConfig, cache: CacheServices, logger: Logger): IdentityWiring {
  const shared = cache.redis && cache.keyPrefix !== undefined ? { redis: cache.redis, keyPrefix: cache.keyPrefix } : undefined;
  const robots = createRobotAccounts(auth, cache);
  logger.info({ store: robots.storeKind, oidcIssuers: auth.oidc.map((o) => o.name) }, 'identities: robot accounts and OIDC issuers ready');
  const oidc = new OidcIdentities(auth.oidc, logger);
  const throttle = new LoginRateLimiter(auth.loginLimits, shared);
  return {
    controllers: [RobotsAdminController],
    providers: [
      { provide: RobotAccounts, useValue: robots },
      { provide: OidcIdentities, useValue: oidc },
      { provide: LoginRateLimiter, useValue: throttle },
    ],
    plugins: { providers: [oidc, robots], throttle, explain: { robots } },
  };
}
