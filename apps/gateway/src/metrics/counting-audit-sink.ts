import type { AuditEvent, AuditSink } from '#access';
import type { GantryMetrics } from './gantry-metrics';

/**
 * The audit sink, counting on the way to the audit log: access decisions by event and result,
 * and the copies that inline replication workers finished, by rule and how they ended.
 */
export class CountingAuditSink implements AuditSink {
  constructor(
    private readonly inner: AuditSink,
    private readonly metrics: GantryMetrics,
  ) {}

  record(event: AuditEvent): void {
    const { decision } = event;
    if (decision === 'allow' || decision === 'deny') this.metrics.authDecision(event.event, decision);
    else if (event.event === 'replication' && event.rule !== undefined) this.metrics.replicationJob(event.rule, decision);
    this.inner.record(event);
  }

  flush(): void {
    this.inner.flush?.();
  }
}
