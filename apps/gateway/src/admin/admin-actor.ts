import type { FastifyRequest } from 'fastify';
import { describeSubject } from '#access';
import { requestAccessOf } from '../access/request-access';

/** Who made an admin request, for audit lines: `user:alice`, or `unknown` when access control is off. */
export function adminActor(req: FastifyRequest): string {
  const subject = requestAccessOf(req)?.subject;
  return subject ? describeSubject(subject) : 'unknown';
}
