import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GantryConfig } from '#config';
import { watchBodyIdleness } from './body-idle-timeout';
import { clientErrorHandler, connectHandler, expectationHandler, frameworkErrorHandler } from './client-errors';
import { hasBody } from './request-body';
import { requestIdOf } from './request-id';

type ServerConfig = GantryConfig['server'];

/**
 * Fastify options that bound what a client may hold (slow headers) and make every answer, even
 * one given before routing, an OCI error with a sane request id.
 */
export function httpServerOptions(server: ServerConfig, logger: Logger) {
  const headersTimeout = server.headersTimeoutSeconds * 1000;
  return {
    requestIdHeader: false as const,
    genReqId: requestIdOf,
    // No limit on a whole request: a large blob upload may take hours. A stalled body is cut by
    // the body idle timeout instead, and slow headers by `headersTimeout`, checked often enough
    // that the cut comes close to it.
    requestTimeout: 0,
    http: { headersTimeout, requestTimeout: 0, connectionsCheckingInterval: Math.max(100, Math.min(headersTimeout / 4, 5000)) },
    clientErrorHandler: clientErrorHandler(logger),
    frameworkErrors: frameworkErrorHandler(logger),
  };
}

/** What needs the built server: answers to `Expect` and CONNECT, and the body idle timeout. */
export function installHttpGuards(fastify: FastifyInstance, server: ServerConfig, logger: Logger): void {
  fastify.server.on('checkExpectation', expectationHandler(logger, requestIdOf));
  fastify.server.on('connect', connectHandler(logger, requestIdOf));
  const idleMs = server.bodyIdleTimeoutSeconds * 1000;
  fastify.addHook('onRequest', async (req, reply) => {
    if (hasBody(req.raw)) watchBodyIdleness(req, reply, idleMs);
  });
}
