import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MediaType, OciError, parseDigest, referrersIndex } from '#oci';
import { cacheHeaders } from '../http/cache-headers';
import { sendJson } from '../http/responses';
import { RepositoryResolver } from './repository-resolver';

@Injectable()
export class ReferrersHandler {
  constructor(private readonly resolver: RepositoryResolver) {}

  async handle(req: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} is not supported on referrers`);
    const repo = this.resolver.resolve(name);
    parseDigest(digest);
    const artifactType = (req.query as Record<string, string | undefined>).artifactType || undefined;
    const result = await repo.registry.listReferrers(repo.upstreamName, digest, artifactType);
    const headers: Record<string, string> = { ...cacheHeaders(result.cacheStatus) };
    if (result.filtered && artifactType) headers['oci-filters-applied'] = 'artifactType';
    sendJson(reply, 200, referrersIndex(result.manifests), headers, MediaType.OCI_INDEX);
  }
}
