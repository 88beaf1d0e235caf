import type { FastifyRequest } from 'fastify';
import { describeSubject, type Subject } from '#access';

/** Where the admin guard leaves the subject it let through (access control sets it). */
const ADMIN_SUBJECT = Symbol.for('gantry.admin-subject');

export function setAdminActor(req: FastifyRequest, subject: Subject): void {
  (req as unknown as Record<symbol, Subject>)[ADMIN_SUBJECT] = subject;
}

/** Who made an admin request, for audit lines: `user:alice`, or `unknown` when no guard said. */
export function adminActor(req: FastifyRequest): string {
  const subject = (req as unknown as Record<symbol, Subject | undefined>)[ADMIN_SUBJECT];
  return subject ? describeSubject(subject) : 'unknown';
}
