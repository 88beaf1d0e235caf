import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { compareNames, OciError, paginateSorted } from '#oci';
import type { Registry } from '#registry';
import { RouteTable } from '#routing';
import { BACKENDS, LOGGER } from '../bootstrap/tokens';
import { nextLink, pageRequest } from '../http/page-request';
import { sendJson } from '../http/responses';

/** `_catalog` federated over every routed backend, with each route's prefix put back. */
@Injectable()
export class CatalogHandler {
  constructor(
    private readonly routes: RouteTable,
    @Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on the catalog`);
    const page = pageRequest(req.query as Record<string, string | undefined>);
    // Every backend is asked at once, once, however many routes share it.
    const listings = new Map<string, Promise<string[]>>();
    for (const rule of this.routes.all) {
      if (!listings.has(rule.backend)) listings.set(rule.backend, this.listAll(rule.backend));
    }
    const names = new Set<string>();
    for (const rule of this.routes.all) {
      for (const upstreamName of await listings.get(rule.backend)!) {
        const name = this.routes.publicName(rule, upstreamName);
        if (name) names.add(name);
      }
    }
    const result = paginateSorted([...names].sort(compareNames), page);
    sendJson(reply, 200, { repositories: result.items }, nextLink('/v2/_catalog', page.n, result.next));
  }

  /** A backend without a catalog, or one that is down, leaves its names out rather than failing all. */
  private async listAll(backend: string): Promise<string[]> {
    const registry = this.backends.get(backend);
    if (!registry?.listRepositories) return [];
    try {
      return (await registry.listRepositories({})).items;
    } catch (err) {
      this.logger.warn({ backend, err: (err as Error).message }, 'catalog of backend unavailable');
      return [];
    }
  }
}
