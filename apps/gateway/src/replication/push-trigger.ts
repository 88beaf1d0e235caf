import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Replication } from '#replication';
import { LOGGER, REPLICATION } from '../bootstrap/tokens';

/**
 * Step 7 of the request path: a manifest pushed through the gateway enqueues its copies. The
 * push has succeeded already: a queue that cannot be reached is logged, not the client's error
 * (reconcile catches the tag up later).
 */
@Injectable()
export class PushTrigger {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(REPLICATION) private readonly replication?: Replication,
  ) {}

  async manifestPushed(backend: string, repository: string, reference: string, digest: string): Promise<void> {
    if (!this.replication) return;
    try {
      await this.replication.manifestPushed(backend, repository, reference, digest);
    } catch (err) {
      this.logger.warn({ backend, repository, reference, digest, err: (err as Error).message }, 'replication: could not enqueue the copies of a push');
    }
  }
}
