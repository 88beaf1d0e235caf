import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteTable } from '#routing';
import type { GantryMetrics } from './gantry-metrics';
import { methodLabel } from './labelled';
import { classifyRequest } from './request-route';

/** Socket byte counts when the request arrived: the difference at the end is this exchange's. */
const SOCKET_AT_START = Symbol('gantry.socketAtStart');
type Marked = FastifyRequest & { [SOCKET_AT_START]?: [read: number, written: number] };

const CACHE_RESULTS = new Set(['hit', 'miss', 'stale']);

/**
 * Counts every answered request in one onResponse hook: no handler calls the metrics. Bytes are
 * the socket's counters across the exchange (HTTP/1.1 answers one request at a time per
 * connection), so streamed bodies of unknown length are counted too.
 */
export function installRequestMetrics(fastify: FastifyInstance, metrics: GantryMetrics, routes: RouteTable): void {
  fastify.addHook('onRequest', async (req) => {
    const socket = req.raw.socket;
    (req as Marked)[SOCKET_AT_START] = [socket.bytesRead, socket.bytesWritten];
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const socket = req.raw.socket;
    const start = (req as Marked)[SOCKET_AT_START];
    const { route, backend, routePrefix } = classifyRequest(req.url, routes);
    metrics.request({
      route,
      backend,
      method: methodLabel(req.method),
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
      bytesIn: start ? socket.bytesRead - start[0] : 0,
      bytesOut: start ? socket.bytesWritten - start[1] : 0,
    });
    if (routePrefix !== undefined) {
      const cache = reply.getHeader('x-gantry-cache');
      if (typeof cache === 'string' && CACHE_RESULTS.has(cache)) metrics.cacheResult(routePrefix, route, cache as 'hit' | 'miss' | 'stale');
    }
  });
}
