import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { GantryConfig } from '#config';
import { ACCESS_CONTROL, type AccessPlugins, createAccessControl } from './access-control';
import { AdminAccessGuard } from './admin-access.guard';
import { ExplainController } from './explain.controller';
import { TokenController } from './token.controller';
import { V2AccessGate } from './v2-access-gate';

/** The access-control controllers: the token service and explain. */
export const ACCESS_CONTROLLERS = [TokenController, ExplainController];

/**
 * The access-control providers. `plugins` is where robot accounts, OIDC, the login throttle and
 * the explain extensions (robot lookup, pull policies) come in.
 */
export function accessProviders(config: GantryConfig, plugins: AccessPlugins = {}): Provider[] {
  return [
    { provide: ACCESS_CONTROL, useFactory: () => createAccessControl(config, plugins) },
    { provide: APP_GUARD, useClass: AdminAccessGuard },
    V2AccessGate,
  ];
}
