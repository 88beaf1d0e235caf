import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { AuditLog, type AuditSink, PullAdmission } from '#access';
import type { CacheServices } from '#cache';
import type { GantryConfig } from '#config';
import type { Registry } from '#registry';
import type { Replication } from '#replication';
import { RouteTable } from '#routing';
import type { IdentityWiring } from './access/identities';
import { ACCESS_PLUGINS } from './access/access-control';
import { ACCESS_CONTROLLERS, accessProviders } from './access/access-wiring';
import { withPullPolicyExplain } from './access/pull-policy-explain';
import { AdminController } from './admin/admin.controller';
import { AdminDocsController } from './admin/openapi/admin-docs.controller';
import { AdminOpenApiDocument } from './admin/openapi/admin-openapi';
import { CacheAdminController } from './admin/cache-admin.controller';
import { AUDIT_SINK, BACKENDS, CACHE_SERVICES, GANTRY_CONFIG, LOGGER } from './bootstrap/tokens';
import { ReadinessCheck } from './health/readiness';
import { ReadinessController } from './health/readiness.controller';
import { OciErrorFilter } from './http/oci-error.filter';
import { DashboardAdminController } from './dashboard/dashboard-admin.controller';
import { DenialTeeSink } from './dashboard/denial-tee-sink';
import { RecentDenials } from './dashboard/recent-denials';
import { StatsHistory } from './dashboard/stats-history';
import { UiController } from './dashboard/ui.controller';
import { CountingAuditSink } from './metrics/counting-audit-sink';
import { GantryMetrics } from './metrics/gantry-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { replicationControllers, replicationProviders } from './replication/replication-wiring';
import { FileUploadSessionStore } from './uploads/file-upload-session-store';
import { MemoryUploadSessionStore } from './uploads/memory-upload-session-store';
import { RedisUploadSessionStore } from './uploads/redis-upload-session-store';
import { UPLOAD_SESSION_STORE, type UploadSessionStore } from './uploads/upload-session';
import { UploadSessionSweeper } from './uploads/upload-session-sweeper';
import { UploadsHandler } from './uploads/uploads.handler';
import { BlobsHandler } from './v2/blobs.handler';
import { AdmissionGate } from './v2/admission-gate';
import { CatalogHandler } from './v2/catalog.handler';
import { ManifestsHandler } from './v2/manifests.handler';
import { ReferrersHandler } from './v2/referrers.handler';
import { RepositoryResolver } from './v2/repository-resolver';
import { RouteRegistries } from './v2/route-registries';
import { TagsHandler } from './v2/tags.handler';
import { V2Controller } from './v2/v2.controller';

export interface GatewayDependencies {
  config: GantryConfig;
  logger: Logger;
  backends: ReadonlyMap<string, Registry>;
  cache: CacheServices;
  /** Pull admission policies, compiled (and their keys loaded) before anything else starts. */
  admission: PullAdmission;
  /** Prometheus metrics; counted and served only with `server.metrics` (the default). */
  metrics: GantryMetrics;
  /** Replication rules' queues, when configured (redis and rules). */
  replication?: Replication;
  /** Robot accounts, OIDC and the login throttle: only with an `auth` section. */
  identities?: IdentityWiring;
}

@Injectable()
class BackendLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>,
    @Inject(CACHE_SERVICES) private readonly cache: CacheServices,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.backends.values()].map((b) => b.close()));
    await this.cache.close();
    // A file destination is written asynchronously: the last decisions must not be lost.
    this.audit.flush?.();
  }
}

/** With `redis:`, sessions live in Redis (any replica continues any upload); else as configured. */
function uploadSessionStore(config: GantryConfig, cache: CacheServices): UploadSessionStore {
  const { store, path, maxAgeSeconds } = config.server.uploadSessions;
  const aging = { maxAgeMs: maxAgeSeconds * 1000 };
  if (cache.redis && cache.keyPrefix !== undefined) return new RedisUploadSessionStore(cache.redis, cache.keyPrefix, aging);
  return store === 'file' ? new FileUploadSessionStore(path, aging) : new MemoryUploadSessionStore(aging);
}

@Module({})
export class AppModule {
  static create(deps: GatewayDependencies): DynamicModule {
    const identities = deps.identities;
    const metricsOn = deps.config.server.metrics;
    const denials = new RecentDenials();
    // The dashboard keeps the latest denials; the metrics count every decision; the log writes it.
    const audit = new DenialTeeSink(new AuditLog(deps.config.auth?.audit.destination ?? 'stdout'), denials);
    return {
      module: AppModule,
      controllers: [
        V2Controller, AdminController, CacheAdminController, AdminDocsController, ReadinessController, ...(metricsOn ? [MetricsController] : []),
        ...(identities?.controllers ?? []), ...ACCESS_CONTROLLERS, ...replicationControllers(deps.replication),
        UiController, DashboardAdminController,
      ],
      providers: [
        { provide: GANTRY_CONFIG, useValue: deps.config },
        { provide: LOGGER, useValue: deps.logger },
        { provide: BACKENDS, useValue: deps.backends },
        { provide: CACHE_SERVICES, useValue: deps.cache },
        { provide: RouteTable, useValue: new RouteTable(deps.config.routes) },
        { provide: UPLOAD_SESSION_STORE, useValue: uploadSessionStore(deps.config, deps.cache) },
        { provide: AUDIT_SINK, useValue: metricsOn ? new CountingAuditSink(audit, deps.metrics) : audit },
        { provide: GantryMetrics, useValue: deps.metrics },
        ReadinessCheck,
        AdminOpenApiDocument,
        { provide: RecentDenials, useValue: denials },
        StatsHistory,
        { provide: PullAdmission, useValue: deps.admission },
        { provide: APP_FILTER, useClass: OciErrorFilter },
        ...(identities?.providers ?? []),
        {
          // The explain endpoint answers for pull policies too, with what a real pull would get.
          provide: ACCESS_PLUGINS,
          useFactory: (gate: AdmissionGate) => withPullPolicyExplain(identities?.plugins ?? {}, gate),
          inject: [AdmissionGate],
        },
        ...accessProviders(deps.config),
        ...replicationProviders(deps.replication),
        BackendLifecycle,
        RouteRegistries,
        RepositoryResolver,
        AdmissionGate,
        ManifestsHandler,
        BlobsHandler,
        UploadsHandler,
        UploadSessionSweeper,
        TagsHandler,
        ReferrersHandler,
        CatalogHandler,
      ],
    };
  }
}
