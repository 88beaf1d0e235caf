import type { AccessAction, Subject } from '#access';
import type { FastifyRequest } from 'fastify';

/**
 * What a request that passed the gate may do, for the handlers that decide more than the gate
 * can: the catalog lists only what the subject may pull, a cross-repository mount needs pull on
 * its source. Absent without an `auth` section (everything is allowed).
 */
export interface RequestAccess {
  subject: Subject;
  /** By the rules alone (the catalog: a token is scoped to `registry:catalog:*`, not to each name). */
  rulesAllow(repository: string, action: AccessAction): boolean;
  /** By the rules and the request's token, if it came with one. */
  allows(repository: string, action: AccessAction): boolean;
}

const ACCESS = Symbol('gantry.access');

export function setRequestAccess(req: FastifyRequest, access: RequestAccess): void {
  (req as unknown as Record<symbol, RequestAccess>)[ACCESS] = access;
}

export function requestAccessOf(req: FastifyRequest): RequestAccess | undefined {
  return (req as unknown as Record<symbol, RequestAccess | undefined>)[ACCESS];
}
