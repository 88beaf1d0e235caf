import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Replication } from '#replication';
import { LOGGER, REPLICATION } from '../bootstrap/tokens';

/** How long a push waits for its copies to be enqueued; Redis away must not hold pushes (the queue connection waits for it). */
const ENQUEUE_WAIT_MS = 2000;

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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the queue did not answer within ${ENQUEUE_WAIT_MS} ms (the jobs are added when Redis is back)`)), ENQUEUE_WAIT_MS);
    });
    try {
      await Promise.race([this.replication.manifestPushed(backend, repository, reference, digest), timeout]);
    } catch (err) {
      this.logger.warn({ backend, repository, reference, digest, err: (err as Error).message }, 'replication: could not enqueue the copies of a push');
    } finally {
      clearTimeout(timer);
    }
  }
}
