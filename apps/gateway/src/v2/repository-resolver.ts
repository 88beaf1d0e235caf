import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BlobCache, BlobCachingRegistry, type CacheServices } from '#cache';
import type { GantryConfig } from '#config';
import { assertValidName, OciError } from '#oci';
import type { Registry } from '#registry';
import { RouteTable, type RouteRule } from '#routing';
import { BACKENDS, CACHE_SERVICES, GANTRY_CONFIG, LOGGER } from '../bootstrap/tokens';

export interface ResolvedRepository {
  /** The client-facing name. */
  name: string;
  backendName: string;
  registry: Registry;
  /** The name as the backend knows it. */
  upstreamName: string;
}

/** Step 2 of the request path: a validated repository name to its backend and upstream name. */
@Injectable()
export class RepositoryResolver {
  /** Each route's registry: its backend, wrapped by the decorators the route asks for. */
  private readonly registries = new Map<RouteRule, Registry>();

  constructor(
    private readonly routes: RouteTable,
    @Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>,
    @Inject(GANTRY_CONFIG) config: GantryConfig,
    @Inject(CACHE_SERVICES) cache: CacheServices,
    @Inject(LOGGER) logger: Logger,
  ) {
    // The route table holds config.routes' own objects, so they key this map. One BlobCache per
    // directory: routes sharing a path share its index and its fills.
    const blobCaches = new Map<string, BlobCache>();
    for (const route of config.routes) {
      const backend = backends.get(route.backend);
      if (!backend || !route.blobCache) continue;
      const { path, maxBytes } = route.blobCache;
      let blobCache = blobCaches.get(path);
      if (!blobCache) blobCaches.set(path, (blobCache = new BlobCache({ path, maxBytes, logger }, cache.locks)));
      this.registries.set(route, new BlobCachingRegistry(backend, blobCache));
    }
  }

  resolve(name: string): ResolvedRepository {
    assertValidName(name);
    const route = this.routes.resolve(name);
    const registry = this.registries.get(route.rule) ?? this.backends.get(route.backend);
    if (!registry) throw new OciError('NAME_UNKNOWN', `backend ${route.backend} is not available`);
    return { name, backendName: route.backend, registry, upstreamName: route.upstreamName };
  }
}
