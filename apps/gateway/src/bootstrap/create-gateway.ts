import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger } from 'pino';
import { PullAdmission } from '#access';
import type { GantryConfig } from '#config';
import { createCacheServices } from '#cache';
import type { Registry } from '#registry';
import { RouteTable } from '#routing';
import { QueueJobCounts, type Replication } from '#replication';
import { AppModule } from '../app.module';
import { AdminOpenApiDocument, buildAdminOpenApi } from '../admin/openapi/admin-openapi';
import { logAccess } from '../http/access-log';
import { lazyRequestLogger } from '../http/lazy-request-logger';
import { httpServerOptions, installHttpGuards } from '../http/http-guards';
import { API_VERSION_HEADER } from '../http/responses';
import { GantryMetrics } from '../metrics/gantry-metrics';
import { requestCounter } from '../metrics/request-metrics';
import { packageVersion } from './cli-args';
import { createBackends } from './create-backends';
import { httpsOptions } from './https-options';
import { NestPinoLogger } from './logger';

/** A scrape storm reads the queues' job counts from Redis once per `maxAgeMs`; an outage answers within `timeoutMs`. */
const QUEUE_COUNTS_READ = { maxAgeMs: 5000, timeoutMs: 1000 };

/** The queues and workers (bullmq) are loaded only when the config has replication rules to run. */
async function loadReplication(config: GantryConfig, backends: ReadonlyMap<string, Registry>, logger: Logger): Promise<Replication | undefined> {
  if (!config.replication || config.replication.rules.length === 0) return undefined;
  return (await import('#replication/runtime')).Replication.fromConfig(config, backends, logger);
}

/** Builds the gateway app: backends from config, Fastify with bodies left as raw streams. */
export async function createGateway(config: GantryConfig, logger: Logger): Promise<NestFastifyApplication> {
  // First: a bad policy key file stops the start (ConfigError) before any connection is opened.
  const admission = PullAdmission.fromConfig(config.policies);
  // Built first: with Redis, backends share their referrers lock and bearer tokens through it.
  const cache = createCacheServices(config, logger);
  const metricsOn = config.server.metrics;
  const metrics = new GantryMetrics({ defaultMetrics: metricsOn });
  const backends = await createBackends(config, logger, cache, metricsOn ? metrics : undefined);
  if (metricsOn) metrics.watchCircuits(backends);
  // server.tls: HTTPS on the same listener, so clients need no insecure-registries entry.
  const https = httpsOptions(config);
  const adapter = new FastifyAdapter({
    ...(https ? { https } : {}),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    // Blobs stream and manifests are capped by the handler; Fastify must not cap or parse bodies.
    bodyLimit: Number.MAX_SAFE_INTEGER,
    // Request ids, header and body deadlines, errors before routing: see http-guards.ts.
    ...httpServerOptions(config.server, logger),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // The source and destination of copies are the backends themselves, not the routes' caches.
  const replication = await loadReplication(config, backends, logger);
  // Job counts of the shared queues, whichever process runs the workers.
  if (replication && metricsOn) metrics.replication.watchQueues(new QueueJobCounts(replication.queues, QUEUE_COUNTS_READ));
  // Robot accounts, OIDC and the login throttle exist only with `auth`; their modules load only then.
  const identities = config.auth ? (await import('../access/identities.js')).createIdentities(config.auth, cache, logger) : undefined;
  const dependencies = { config, logger, backends, cache, admission, metrics, ...(replication ? { replication } : {}), ...(identities ? { identities } : {}) };
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.create(dependencies), adapter, {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  // Read from the controllers' decorators when first asked for; served (behind the admin guard) at /admin/openapi.json.
  app.get(AdminOpenApiDocument).buildWith(() => buildAdminOpenApi(app, packageVersion()));
  const fastify = app.getHttpAdapter().getInstance();
  installHttpGuards(fastify, config.server, logger);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  fastify.addHook('onRequest', async (req, reply) => {
    reply.headers({ ...API_VERSION_HEADER, 'x-request-id': req.id });
    // Every v2 response says how the cache answered; the handlers overwrite this when one did.
    if (req.url.startsWith('/v2')) reply.header('x-gantry-cache', 'bypass');
  });
  const publicUrl = config.server.publicUrl?.replace(/\/+$/, '');
  if (publicUrl) {
    // Behind a proxy, clients follow Gantry's own Locations (uploads, blobs) at the public address.
    fastify.addHook('onSend', async (_req, reply, payload) => {
      const location = reply.getHeader('location');
      if (typeof location === 'string' && location.startsWith('/v2/')) reply.header('location', publicUrl + location);
      return payload;
    });
  }
  const countRequest = metricsOn ? requestCounter(metrics, new RouteTable(config.routes)) : undefined;
  // An access line holds only fixed fields (id, method, path without query, status, time), none of
  // which the redaction paths name: skipping the redactor saves its walk on every request.
  const accessLogger = logger.child({}, { redact: [] });
  fastify.addHook('onResponse', async (req, reply) => {
    countRequest?.(req, reply);
    logAccess(accessLogger, { reqId: req.id, method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });
  return app;
}
