import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { digestOf, MANIFEST_MEDIA_TYPES, MAX_MANIFEST_BYTES, OciError, parseLookupReference, parseManifest, parseReference } from '#oci';
import { cacheHeaders } from '../http/cache-headers';
import { servedByHeader } from '../http/served-by-header';
import { readCappedBody } from '../http/request-body';
import { sendEmpty } from '../http/responses';
import { PushTrigger } from '../replication/push-trigger';
import { AdmissionGate } from './admission-gate';
import { RepositoryResolver } from './repository-resolver';
import { manifestPath } from './v2-routes';

@Injectable()
export class ManifestsHandler {
  constructor(
    private readonly resolver: RepositoryResolver,
    private readonly admission: AdmissionGate,
    private readonly pushTrigger: PushTrigger,
  ) {}

  async handle(req: FastifyRequest, reply: FastifyReply, name: string, reference: string): Promise<void> {
    const repo = this.resolver.resolve(name);
    switch (req.method) {
      case 'GET': {
        const ref = parseLookupReference(reference);
        const manifest = await repo.registry.getManifest(repo.upstreamName, reference, acceptList(req));
        if (ref.kind === 'digest' && manifest.digest !== ref.digest) {
          throw new OciError('MANIFEST_UNKNOWN', `backend returned ${manifest.digest} for ${ref.digest}`);
        }
        await this.admission.assertAdmitted(req, repo, reference, { digest: manifest.digest, mediaType: manifest.mediaType, bytes: manifest.bytes });
        reply
          .code(200)
          .headers({
            ...manifest.upstreamHeaders,
            ...cacheHeaders(manifest.cacheStatus),
            ...servedByHeader(manifest.servedBy),
            'content-type': manifest.mediaType,
            'content-length': manifest.bytes.length,
            'docker-content-digest': manifest.digest,
            etag: `"${manifest.digest}"`,
          })
          .send(manifest.bytes);
        return;
      }
      case 'HEAD': {
        parseLookupReference(reference);
        const meta = await repo.registry.statManifest(repo.upstreamName, reference, acceptList(req));
        await this.admission.assertAdmitted(req, repo, reference, { digest: meta.digest, mediaType: meta.mediaType });
        reply
          .code(200)
          .headers({
            ...meta.upstreamHeaders,
            ...cacheHeaders(meta.cacheStatus),
            ...servedByHeader(meta.servedBy),
            'content-type': meta.mediaType,
            'content-length': meta.size,
            'docker-content-digest': meta.digest,
            etag: `"${meta.digest}"`,
          })
          .send();
        return;
      }
      case 'PUT': {
        const ref = parseReference(reference);
        const bytes = await readCappedBody(req.raw, MAX_MANIFEST_BYTES);
        const parsed = parseManifest(bytes, req.headers['content-type']);
        const digest = digestOf(bytes, ref.kind === 'digest' ? ref.digest.split(':')[0] : 'sha256');
        if (ref.kind === 'digest' && digest !== ref.digest) {
          throw new OciError('DIGEST_INVALID', `manifest digest is ${digest}, not ${ref.digest}`);
        }
        const result = await repo.registry.putManifest(
          repo.upstreamName,
          reference,
          { bytes, mediaType: parsed.mediaType, digest },
          parsed.subject,
        );
        const headers: Record<string, string> = {
          location: manifestPath(name, result.digest),
          'docker-content-digest': result.digest,
        };
        if (result.subject) headers['oci-subject'] = result.subject;
        this.admission.manifestPushed(repo, reference, result.subject ?? parsed.subject?.digest);
        await this.pushTrigger.manifestPushed(repo.backendName, repo.upstreamName, reference, result.digest);
        sendEmpty(reply, 201, headers);
        return;
      }
      case 'DELETE':
        parseLookupReference(reference);
        await repo.registry.deleteManifest(repo.upstreamName, reference);
        sendEmpty(reply, 202);
        return;
      default:
        throw new OciError('UNSUPPORTED', `${req.method} is not supported on manifests`);
    }
  }
}

/** The client's Accept list; with none, every manifest type (the gateway never converts). */
function acceptList(req: FastifyRequest): string[] {
  const header = req.headers.accept;
  const values = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((v) => v.split(';')[0]!.trim())
    .filter((v) => v !== '' && v !== '*/*');
  return values.length > 0 ? values : [...MANIFEST_MEDIA_TYPES];
}
