import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GantryConfig } from '#config';
import { compareNames, OciError, paginateSorted } from '#oci';
import type { CacheStatus } from '#registry';
import { RouteTable } from '#routing';
import { requestAccessOf } from '../access/request-access';
import { GANTRY_CONFIG, LOGGER } from '../bootstrap/tokens';
import { cacheHeaders, combinedCacheStatus } from '../http/cache-headers';
import { nextLink, pageRequest } from '../http/page-request';
import { sendJson } from '../http/responses';
import { RouteRegistries } from './route-registries';

/** A backend's names and how the cache answered, or undefined when it failed or missed the catalog deadline. */
type Listing = { names: string[]; cacheStatus?: CacheStatus } | undefined;

/**
 * `_catalog` federated over every routed backend, with each route's prefix put back. Each backend
 * gets `server.catalogTimeoutMs`; the answer lists what arrived in time and names the backends
 * left out in a `Warning` header, so one dead backend never holds up (or empties) the catalog.
 */
@Injectable()
export class CatalogHandler {
  private readonly timeoutMs: number;

  constructor(
    private readonly routes: RouteTable,
    private readonly registries: RouteRegistries,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GANTRY_CONFIG) config: GantryConfig,
  ) {
    this.timeoutMs = config.server.catalogTimeoutMs;
  }

  async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on the catalog`);
    const page = pageRequest(req.query as Record<string, string | undefined>);
    // Every backend is asked at once, once, however many routes share it.
    const listings = new Map<string, Promise<Listing>>();
    for (const rule of this.routes.all) {
      if (!listings.has(rule.backend)) listings.set(rule.backend, this.listWithinDeadline(rule.backend, req.id));
    }
    // With access control, only what the subject may pull is listed.
    const access = requestAccessOf(req);
    const statuses: (CacheStatus | undefined)[] = [];
    const names = new Set<string>();
    const missing = new Set<string>();
    for (const rule of this.routes.all) {
      const listing = await listings.get(rule.backend)!;
      if (!listing) {
        missing.add(rule.backend);
        continue;
      }
      statuses.push(listing.cacheStatus);
      for (const upstreamName of listing.names) {
        const name = this.routes.publicName(rule, upstreamName);
        if (name && (!access || access.rulesAllow(name, 'pull'))) names.add(name);
      }
    }
    const result = paginateSorted([...names].sort(compareNames), page);
    const headers: Record<string, string> = { ...nextLink('/v2/_catalog', page.n, result.next), ...cacheHeaders(combinedCacheStatus(statuses)) };
    if (missing.size > 0) {
      const incomplete = [...missing].map((backend) => `199 gantry "catalog incomplete: backend ${backend} unavailable"`);
      headers.warning = [headers.warning, ...incomplete].filter(Boolean).join(', ');
    }
    sendJson(reply, 200, { repositories: result.items }, headers);
  }

  /** A backend without a catalog has no names to give; one that fails or is too slow is left out. */
  private async listWithinDeadline(backend: string, reqId: string): Promise<Listing> {
    const registry = this.registries.forCatalog(backend);
    if (!registry?.listRepositories) return { names: [] };
    const listing = registry.listRepositories({}).then((page) => ({ names: page.items, cacheStatus: page.cacheStatus }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.timeoutMs);
    });
    try {
      const result = await Promise.race([listing, late]);
      if (result !== 'late') return result;
      // It goes on in the background, bounded by the backend's own request deadline.
      listing.catch(() => undefined);
      this.logger.warn({ reqId, backend, timeoutMs: this.timeoutMs }, 'catalog incomplete: backend did not answer in time');
      return undefined;
    } catch (err) {
      this.logger.warn({ reqId, backend, err: (err as Error).message }, 'catalog incomplete: backend unavailable');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
