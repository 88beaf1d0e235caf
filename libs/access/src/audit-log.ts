import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import type { AuditEvent, AuditSink } from './audit-event';

/**
 * The audit log: one JSON line per access decision, on a pino destination of its own (stdout,
 * stderr or a file) so it can be shipped and kept apart from the operational log.
 */
export class AuditLog implements AuditSink {
  private readonly logger: Logger;
  private readonly destination: ReturnType<typeof pino.destination>;

  constructor(destination: string) {
    this.destination = auditDestination(destination);
    this.logger = pino({ base: { audit: true }, messageKey: 'msg' }, this.destination);
  }

  record(event: AuditEvent): void {
    this.logger.info(event, `${event.event} ${event.decision}`);
  }

  /** Lines still buffered reach their destination (shutdown). */
  flush(): void {
    try {
      this.destination.flushSync();
    } catch {
      // Not yet open (nothing was written) or already closed: nothing is lost.
    }
  }
}

/** stdout and stderr are written synchronously, like the main log, so lines of the two never interleave. */
function auditDestination(destination: string): ReturnType<typeof pino.destination> {
  if (destination === 'stdout') return pino.destination({ fd: 1, sync: true });
  if (destination === 'stderr') return pino.destination({ fd: 2, sync: true });
  mkdirSync(dirname(destination), { recursive: true });
  return pino.destination({ dest: destination, sync: false, mkdir: true });
}
