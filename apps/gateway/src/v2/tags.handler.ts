import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OciError, type Page } from '#oci';
import type { CacheAnnotated } from '#registry';
import { cacheHeaders } from '../http/cache-headers';
import { nextLink, pageRequest } from '../http/page-request';
import { sendJson } from '../http/responses';
import { RepositoryResolver } from './repository-resolver';

@Injectable()
export class TagsHandler {
  constructor(private readonly resolver: RepositoryResolver) {}

  async handle(req: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on tags`);
    const repo = this.resolver.resolve(name);
    const page = pageRequest(req.query as Record<string, string | undefined>);
    const result: Page & CacheAnnotated = page.n === 0 ? { items: [] } : await repo.registry.listTags(repo.upstreamName, page);
    sendJson(reply, 200, { name, tags: result.items }, { ...nextLink(`/v2/${name}/tags/list`, page.n, result.next), ...cacheHeaders(result.cacheStatus) });
  }
}
