import type { FastifyRequest } from 'fastify';
import type { V2Route } from './v2-routes';

const MATCHED = Symbol('gantry.v2Route');

/** Remembers which v2 route a request matched, so that what runs after (metrics) need not match again. */
export function setMatchedV2Route(req: FastifyRequest, route: V2Route | undefined): void {
  (req as unknown as Record<symbol, V2Route | null>)[MATCHED] = route ?? null;
}

/** The route the v2 controller matched; `null` when it matched none, undefined when it never saw the request. */
export function matchedV2Route(req: FastifyRequest): V2Route | null | undefined {
  return (req as unknown as Record<symbol, V2Route | null | undefined>)[MATCHED];
}
