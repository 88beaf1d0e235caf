import { type AuditEvent, type AuditSink, describeSubject, type Subject } from '#access';
import type { FastifyRequest } from 'fastify';

/** One audit line for a decision on `req`: who, from where, what, and which rule decided. */
export function auditRequest(
  sink: AuditSink,
  req: FastifyRequest,
  subject: Subject,
  fields: Omit<AuditEvent, 'event' | 'subject' | 'sourceAddress' | 'reqId'> & { event?: AuditEvent['event'] },
): void {
  const { event = 'request', ...rest } = fields;
  sink.record({ event, subject: describeSubject(subject), sourceAddress: req.ip, reqId: req.id, ...rest });
}
