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

/** How a failed login names who tried: `robot:<name>` for `robot+<name>`, else `user:<name>`, cut short. */
export function attemptedSubject(username: string | undefined): string {
  if (!username) return 'unknown';
  const name = username.length > 128 ? `${username.slice(0, 128)}…` : username;
  return name.startsWith('robot+') ? `robot:${name.slice('robot+'.length)}` : `user:${name}`;
}
