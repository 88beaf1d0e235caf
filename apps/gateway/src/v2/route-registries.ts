import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BlobCache, BlobCachingRegistry, type CacheCounts, CacheCounters, type CacheServices, CachingRegistry, InFlight } from '#cache';
import type { GantryConfig } from '#config';
import { FailoverRegistry, type Registry } from '#registry';
import { RouteTable, type RouteRule } from '#routing';
import { BACKENDS, CACHE_SERVICES, GANTRY_CONFIG, LOGGER } from '../bootstrap/tokens';

export interface RouteCacheReport extends CacheCounts {
  prefix: string;
  backend: string;
  cache: boolean;
  hitRatio: number;
}

interface RouteEntry {
  rule: RouteRule;
  registry: Registry;
  counters?: CacheCounters;
}

/**
 * The one place where a route's Registry is composed: the backend (with its replicas behind a
 * failover decorator when the route lists `replicas`), behind the disk blob cache
 * when the route has `blobCache`, wrapped by the cache decorator with the route's settings
 * (unless the route says `cache: false`, or the backend is the embedded local store, which gets
 * neither). Built once at start.
 */
@Injectable()
export class RouteRegistries {
  private readonly entries = new Map<RouteRule, RouteEntry>();

  constructor(
    routes: RouteTable,
    @Inject(BACKENDS) backends: ReadonlyMap<string, Registry>,
    @Inject(CACHE_SERVICES) cache: CacheServices,
    @Inject(GANTRY_CONFIG) config: GantryConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    const inFlight = new InFlight();
    // One BlobCache per directory: routes sharing a path share its index and its fills.
    const blobCaches = new Map<string, BlobCache>();
    routes.all.forEach((rule, i) => {
      const settings = config.routes[i];
      let backend = backends.get(rule.backend);
      if (!backend || !settings) return;
      const local = config.backends[rule.backend]?.type === 'local';
      // Failover sits right above the backend: the blob cache fills from whoever served, and the
      // cache above answers tags with the digest it last saw, which then fails over by digest.
      const replicas = settings.replicas.map((name) => backends.get(name)).filter((replica) => replica !== undefined);
      if (replicas.length > 0) backend = new FailoverRegistry(backend, replicas, logger);
      if (settings.blobCache && !local) {
        const { path, maxBytes } = settings.blobCache;
        let blobCache = blobCaches.get(path);
        if (!blobCache) blobCaches.set(path, (blobCache = new BlobCache({ path, maxBytes, logger }, cache.locks)));
        backend = new BlobCachingRegistry(backend, blobCache);
      }
      // The embedded store is already local disk, and `gantry gc` changes it from another process:
      // a cache in front of it would only serve what gc removed.
      if (!settings.cache || local) {
        this.entries.set(rule, { rule, registry: backend });
        return;
      }
      const counters = new CacheCounters();
      const registry = new CachingRegistry(backend, {
        backend: rule.backend,
        policy: { tagTtlMs: settings.tagTtl, listTtlMs: settings.listTtl, staleIfErrorMs: settings.staleIfError },
        store: cache.store,
        inFlight,
        locks: cache.locks,
        logger,
        counters,
      });
      this.entries.set(rule, { rule, registry, counters });
    });
  }

  forRule(rule: RouteRule): Registry | undefined {
    return this.entries.get(rule)?.registry;
  }

  /**
   * The registry that lists a backend's catalog: through the first of its routes that caches
   * (the listing is shared by all of them), else the first route's plain backend.
   */
  forCatalog(backend: string): Registry | undefined {
    const routes = [...this.entries.values()].filter((entry) => entry.rule.backend === backend);
    return (routes.find((entry) => entry.counters) ?? routes[0])?.registry;
  }

  /** Per-route hit, miss and stale counts for GET /admin/v1/cache. */
  report(): RouteCacheReport[] {
    return [...this.entries.values()].map(({ rule, counters }) => ({
      prefix: rule.prefix,
      backend: rule.backend,
      cache: counters !== undefined,
      ...(counters?.snapshot() ?? { hit: 0, miss: 0, stale: 0, bypass: 0, hitRatio: 0 }),
    }));
  }
}
