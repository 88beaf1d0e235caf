import { Controller, Get, Inject } from '@nestjs/common';
import type { BackendStatus, Registry } from '#registry';
import { BACKENDS } from '../bootstrap/tokens';

/**
 * Operator views. Each backend reports its own state (credentials valid until, last error);
 * a status never carries a secret.
 */
@Controller()
export class AdminController {
  constructor(@Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>) {}

  @Get('admin/v1/backends')
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
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
