import { OciError, type ErrorCode } from '#oci';
import type { BlobBody, BlobMeta } from '../../port';
import { discard, header } from './body';
import { errorFromResponse } from './error-mapping';
import { followRedirects, isRedirect, REDIRECT_STATUSES, redirectTarget } from './redirects';
import type { UpstreamClient, UpstreamReply } from './upstream-client';

/**
 * Blob reads against a registry that may send us to presigned storage. Bytes are streamed from
 * the undici body as they arrive (backpressure reaches the upstream socket); nothing is buffered.
 */
export class BlobFetcher {
  constructor(private readonly client: UpstreamClient) {}

  async stat(name: string, digest: string): Promise<BlobMeta> {
    const reply = await this.client.send({
      method: 'HEAD', url: `v2/${name}/blobs/${digest}`, scopes: [`repository:${name}:pull`], op: 'blob', expect: [200, ...REDIRECT_STATUSES],
    });
    await discard(reply.body);
    const size = Number(header(reply.headers, 'content-length'));
    if (reply.statusCode === 200 && Number.isSafeInteger(size)) return { digest, size };
    // Presigned S3 URLs refuse HEAD: ask storage for one byte and read the total from Content-Range.
    const ranged = isRedirect(reply.statusCode)
      ? await this.fromStorage(redirectTarget(reply, this.client.backend), 'bytes=0-0')
      : await this.open(name, digest, 'bytes=0-0', true);
    const total = totalSize(ranged);
    await discard(ranged.body);
    if (total === undefined) throw new OciError('UNAVAILABLE', `backend ${this.client.backend} did not report the size of ${digest}`, { status: 502 });
    return { digest, size: total };
  }

  /** GET with an optional Range; redirects are followed (no credentials) or handed back. */
  async get(name: string, digest: string, range: string | undefined, mode: 'proxy' | 'redirect'): Promise<BlobBody> {
    const reply = await this.open(name, digest, range, mode === 'proxy');
    if (isRedirect(reply.statusCode)) {
      await discard(reply.body);
      return { kind: 'redirect', location: redirectTarget(reply, this.client.backend).href };
    }
    let size = totalSize(reply);
    if (size === undefined) {
      try {
        size = (await this.stat(name, digest)).size;
      } catch (err) {
        reply.body.destroy();
        throw err;
      }
    }
    const served = reply.statusCode === 206 ? servedRange(reply) : undefined;
    return served ? { kind: 'stream', stream: reply.body, size, range: served } : { kind: 'stream', stream: reply.body, size };
  }

  /** The registry's answer to a blob GET; with `follow`, the storage's answer behind redirects. */
  async open(name: string, digest: string, range: string | undefined, follow: boolean): Promise<UpstreamReply> {
    const reply = await this.client.send({
      method: 'GET', url: `v2/${name}/blobs/${digest}`, scopes: [`repository:${name}:pull`], op: 'blob',
      headers: range ? { range } : {}, expect: [200, 206, ...REDIRECT_STATUSES],
    });
    if (!follow || !isRedirect(reply.statusCode)) return reply;
    await discard(reply.body);
    return this.fromStorage(redirectTarget(reply, this.client.backend), range);
  }

  private async fromStorage(target: URL, range: string | undefined): Promise<UpstreamReply> {
    const final = await followRedirects(this.client, target, range);
    if (final.statusCode === 200 || final.statusCode === 206) return final;
    const err = await errorFromResponse(final, `${this.client.backend} (blob storage)`, 'blob');
    // Storage answering 403/404 means an expired or bad presigned URL, not a missing blob.
    const passThrough: ErrorCode[] = ['RANGE_INVALID', 'BLOB_UNKNOWN'];
    throw passThrough.includes(err.code) ? err : new OciError('UNAVAILABLE', err.message, { status: 502 });
  }
}

/** The whole blob's size from a 200 (Content-Length) or 206 (Content-Range total). */
function totalSize(reply: UpstreamReply): number | undefined {
  if (reply.statusCode === 206) {
    const total = /\/(\d+)\s*$/.exec(header(reply.headers, 'content-range') ?? '');
    return total ? Number(total[1]) : undefined;
  }
  if (reply.statusCode !== 200) return undefined;
  const length = Number(header(reply.headers, 'content-length'));
  return Number.isSafeInteger(length) ? length : undefined;
}

function servedRange(reply: UpstreamReply): { start: number; end: number } | undefined {
  const match = /bytes\s+(\d+)-(\d+)\//.exec(header(reply.headers, 'content-range') ?? '');
  return match ? { start: Number(match[1]), end: Number(match[2]) } : undefined;
}
