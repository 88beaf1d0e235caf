import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { BackendStatus, Registry } from '#registry';
import { BACKENDS } from '../bootstrap/tokens';
import { AdminApi } from './openapi/admin-api.decorator';
import { backendsStatusSchema } from './openapi/admin-schemas';

/**
 * Operator views. Each backend reports its own state (credentials valid until, last error);
 * a status never carries a secret.
 */
@AdminApi('backends')
@Controller()
export class AdminController {
  constructor(@Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>) {}

  @Get('admin/v1/backends')
  @ApiOperation({ summary: 'Every backend\'s state', description: 'Credentials (valid until, last error), circuit breaker, blob mode; never a secret.' })
  @ApiOkResponse({ schema: backendsStatusSchema })
  async backendsStatus(): Promise<{ backends: BackendStatus[] }> {
    const statuses = await Promise.all(
      [...this.backends.entries()].map(async ([name, registry]) => {
        try {
          return await registry.status();
        } catch (err) {
          return { name, type: 'unknown', error: (err as Error).message };
        }
      }),
    );
    return { backends: statuses };
  }

  /** Liveness: the process serves requests. Backends being down is not the gateway being down. */
  @Get('healthz')
  @ApiExcludeEndpoint()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
