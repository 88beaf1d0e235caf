import type { AuditEvent, AuditSink } from '#access';
import type { RecentDenials } from './recent-denials';

/** The audit sink, keeping the latest denials for the dashboard on the way to the audit log. */
export class DenialTeeSink implements AuditSink {
  constructor(
    private readonly inner: AuditSink,
    private readonly denials: RecentDenials,
  ) {}

  record(event: AuditEvent): void {
    if (event.decision === 'deny') this.denials.add(event);
    this.inner.record(event);
  }

  flush(): void {
    this.inner.flush?.();
  }
}
