import type { AuditEvent, AuditSink } from '#access';
import type { GantryMetrics } from './gantry-metrics';

/** The audit sink, counting each decision by event and result on its way to the audit log. */
export class CountingAuditSink implements AuditSink {
  constructor(
    private readonly inner: AuditSink,
    private readonly metrics: GantryMetrics,
  ) {}

  record(event: AuditEvent): void {
    this.metrics.authDecision(event.event, event.decision);
    this.inner.record(event);
  }

  flush(): void {
    this.inner.flush?.();
  }
}
