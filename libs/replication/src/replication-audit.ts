import type { AuditEvent } from '#access';
import type { ReplicationOutcome } from './replication-workers';

/** The audit line of a copy that ended: which rule copied what where, and how it went. */
export function replicationAuditEvent(outcome: ReplicationOutcome): AuditEvent {
  const d = outcome.data;
  return {
    event: 'replication',
    subject: `rule:${d.rule}`,
    action: d.trigger,
    backend: d.source.backend,
    repository: d.source.repository,
    ...(d.tag !== undefined ? { reference: d.tag } : {}),
    digest: d.digest,
    rule: d.rule,
    decision: outcome.status,
    reason:
      outcome.status === 'completed'
        ? `copied to ${d.destination.backend}/${d.destination.repository} (job ${outcome.jobId})`
        : `copy to ${d.destination.backend}/${d.destination.repository} failed after ${outcome.attempts} attempts (job ${outcome.jobId}): ${outcome.error ?? 'unknown error'}`,
  };
}
