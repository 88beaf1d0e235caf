import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '#routing';
import type { GantryMetrics } from './gantry-metrics';
import { methodLabel } from './labelled';
import { matchedV2Route } from '../v2/matched-route';
import { classifyRequest } from './request-route';


const CACHE_RESULTS = new Set(['hit', 'miss', 'stale']);

/**
 * Counts an answered request; called from the gateway's one onResponse hook (a second async hook
 * costs more than the counting), so no handler calls the metrics. Bytes are
 * the socket's counters since the previous response on the connection ended (HTTP/1.1 clients
 * send the next request after the answer), so streamed bodies of unknown length count too, with
 * their headers; the parser reads ahead of the request hooks, so those cannot be the start.
 */
export function requestCounter(metrics: GantryMetrics, routes: RouteTable): (req: FastifyRequest, reply: FastifyReply) => void {
  const counted = new WeakMap<Socket, [read: number, written: number]>();
  return (req, reply) => {
    const socket = req.raw.socket;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    const last = counted.get(socket);
    const bytesIn = read - (last?.[0] ?? 0);
    const bytesOut = written - (last?.[1] ?? 0);
    if (last) {
      last[0] = read;
      last[1] = written;
    } else {
      counted.set(socket, [read, written]);
    }
    const { route, backend, routePrefix } = classifyRequest(req.url, routes, matchedV2Route(req));
    metrics.request({
      route,
      backend,
      method: methodLabel(req.method),
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
      bytesIn,
      bytesOut,
    });
    if (routePrefix !== undefined) {
      const cache = reply.getHeader('x-gantry-cache');
      if (typeof cache === 'string' && CACHE_RESULTS.has(cache)) metrics.cacheResult(routePrefix, route, cache as 'hit' | 'miss' | 'stale');
    }
  };
}
