import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OciError, parseDigest } from '#oci';
import { FileRangeStream, type ByteRange } from '#registry';
import { cacheHeaders } from '../http/cache-headers';
import { sendFileRange } from '../http/file-range-response';
import { servedByHeader } from '../http/served-by-header';
import { parseRangeHeader } from '../http/range-header';
import { sendEmpty } from '../http/responses';
import { RepositoryResolver, type ResolvedRepository } from './repository-resolver';

@Injectable()
export class BlobsHandler {
  constructor(private readonly resolver: RepositoryResolver) {}

  async handle(req: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
    const repo = this.resolver.resolve(name);
    parseDigest(digest);
    switch (req.method) {
      case 'HEAD': {
        const meta = await repo.registry.statBlob(repo.upstreamName, digest);
        reply
          .code(200)
          .headers({
            'content-type': 'application/octet-stream',
            'content-length': meta.size,
            'docker-content-digest': digest,
            'accept-ranges': 'bytes',
            etag: `"${digest}"`,
            ...cacheHeaders(meta.cacheStatus),
            ...servedByHeader(meta.servedBy),
          })
          .send();
        return;
      }
      case 'GET':
        return this.get(req, reply, repo, digest);
      case 'DELETE':
        await repo.registry.deleteBlob(repo.upstreamName, digest);
        sendEmpty(reply, 202);
        return;
      default:
        throw new OciError('UNSUPPORTED', `${req.method} is not supported on blobs`);
    }
  }

  private async get(req: FastifyRequest, reply: FastifyReply, repo: ResolvedRepository, digest: string): Promise<void> {
    const requested = parseRangeHeader(req.headers.range);
    let range: ByteRange | undefined;
    if (requested && 'suffix' in requested) {
      const { size } = await repo.registry.statBlob(repo.upstreamName, digest);
      if (requested.suffix === 0 || size === 0) throw unsatisfiable(size);
      range = { start: Math.max(0, size - requested.suffix), end: size - 1 };
    } else {
      range = requested;
    }
    const body = await repo.registry.getBlob(repo.upstreamName, digest, range);
    if (body.kind === 'redirect') {
      sendEmpty(reply, 307, { location: body.location, 'docker-content-digest': digest, ...servedByHeader(body.servedBy) });
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'docker-content-digest': digest,
      'accept-ranges': 'bytes',
      etag: `"${digest}"`,
      ...cacheHeaders(body.cacheStatus),
      ...servedByHeader(body.servedBy),
    };
    if (body.range) {
      headers['content-range'] = `bytes ${body.range.start}-${body.range.end}/${body.size}`;
      headers['content-length'] = body.range.end - body.range.start + 1;
    } else {
      headers['content-length'] = body.size;
    }
    const status = body.range ? 206 : 200;
    if (body.stream instanceof FileRangeStream) return sendFileRange(reply, status, headers, body.stream);
    // A client that goes away must release the upstream connection or file handle.
    reply.raw.once('close', () => body.stream.destroy());
    reply.code(status).headers(headers).send(body.stream);
  }
}

function unsatisfiable(size: number): OciError {
  return new OciError('RANGE_INVALID', 'requested range not satisfiable', { headers: { 'content-range': `bytes */${size}` } });
}
