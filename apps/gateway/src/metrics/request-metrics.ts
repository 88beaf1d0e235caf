import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { RouteTable } from '#routing';
import type { GantryMetrics } from './gantry-metrics';
import { methodLabel } from './labelled';
import { classifyRequest } from './request-route';


const CACHE_RESULTS = new Set(['hit', 'miss', 'stale']);

/**
 * Counts every answered request in one onResponse hook: no handler calls the metrics. Bytes are
 * the socket's counters since the previous response on the connection ended (HTTP/1.1 clients
 * send the next request after the answer), so streamed bodies of unknown length count too, with
 * their headers; the parser reads ahead of the request hooks, so those cannot be the start.
 */
export function installRequestMetrics(fastify: FastifyInstance, metrics: GantryMetrics, routes: RouteTable): void {
  const counted = new WeakMap<Socket, [read: number, written: number]>();
  fastify.addHook('onResponse', async (req, reply) => {
    const socket = req.raw.socket;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    const before = counted.get(socket);
    counted.set(socket, [read, written]);
    const { route, backend, routePrefix } = classifyRequest(req.url, routes);
    metrics.request({
      route,
      backend,
      method: methodLabel(req.method),
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
      bytesIn: read - (before?.[0] ?? 0),
      bytesOut: written - (before?.[1] ?? 0),
    });
    if (routePrefix !== undefined) {
      const cache = reply.getHeader('x-gantry-cache');
      if (typeof cache === 'string' && CACHE_RESULTS.has(cache)) metrics.cacheResult(routePrefix, route, cache as 'hit' | 'miss' | 'stale');
    }
  });
}
