import { All, Controller, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OciError } from '#oci';
import { V2AccessGate } from '../access/v2-access-gate';
import { sendJson } from '../http/responses';
import { UploadsHandler } from '../uploads/uploads.handler';
import { BlobsHandler } from './blobs.handler';
import { CatalogHandler } from './catalog.handler';
import { ManifestsHandler } from './manifests.handler';
import { ReferrersHandler } from './referrers.handler';
import { TagsHandler } from './tags.handler';
import { setMatchedV2Route } from './matched-route';
import { matchV2Route } from './v2-routes';

/**
 * The v2 API. Repository names contain slashes, which no path-template router can place in
 * the middle of a URL, so this controller matches the grammar itself and hands each resource to
 * its own handler.
 */
@Controller()
export class V2Controller {
  constructor(
    private readonly manifests: ManifestsHandler,
    private readonly blobs: BlobsHandler,
    private readonly uploads: UploadsHandler,
    private readonly tags: TagsHandler,
    private readonly referrers: ReferrersHandler,
    private readonly catalog: CatalogHandler,
    private readonly gate: V2AccessGate,
  ) {}

  @All(['v2', 'v2/*'])
  async dispatch(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const path = req.url.split('?')[0]!.replace(/^\/v2\/?/, '');
    const route = matchV2Route(path);
    setMatchedV2Route(req, route);
    await this.gate.admit(req, route);
    switch (route?.kind) {
      case 'base':
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${req.method} /v2/`);
        return sendJson(reply, 200, {});
      case 'catalog':
        return this.catalog.handle(req, reply);
      case 'manifest':
        return this.manifests.handle(req, reply, route.name, route.reference);
      case 'blob':
        return this.blobs.handle(req, reply, route.name, route.digest);
      case 'upload-start':
        return this.uploads.start(req, reply, route.name);
      case 'upload':
        return this.uploads.session(req, reply, route.name, route.id);
      case 'tags':
        return this.tags.handle(req, reply, route.name);
      case 'referrers':
        return this.referrers.handle(req, reply, route.name, route.digest);
      default:
        throw new OciError('NAME_UNKNOWN', `no such endpoint: /v2/${path.slice(0, 200)}`);
    }
  }
}
