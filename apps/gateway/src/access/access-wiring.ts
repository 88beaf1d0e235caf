import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { GantryConfig } from '#config';
import { ACCESS_CONTROL, ACCESS_PLUGINS, type AccessPlugins, createAccessControl } from './access-control';
import { AdminAccessGuard } from './admin-access.guard';
import { ExplainController } from './explain.controller';
import { TokenController } from './token.controller';
import { V2AccessGate } from './v2-access-gate';

/** The access-control controllers: the token service and explain. */
export const ACCESS_CONTROLLERS = [TokenController, ExplainController];

/**
 * The access-control providers. Robot accounts, OIDC, the login throttle and the explain
 * extensions (robot lookup, pull policies) come in as an `ACCESS_PLUGINS` provider (a factory
 * over whatever services they need), or as `plugins` here.
 */
export function accessProviders(config: GantryConfig, plugins: AccessPlugins = {}): Provider[] {
  return [
    {
      provide: ACCESS_CONTROL,
      useFactory: (provided?: AccessPlugins) => createAccessControl(config, provided ?? plugins),
      inject: [{ token: ACCESS_PLUGINS, optional: true }],
    },
    { provide: APP_GUARD, useClass: AdminAccessGuard },
    V2AccessGate,
  ];
}
