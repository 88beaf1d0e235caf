import { Readable } from 'node:stream';
import { OciError } from '#oci';
import type { ByteRange, Registry } from '#registry';

/**
 * The bytes of a source blob (or of `range` of it) as a stream, following a presigned redirect
 * when the backend hands one out instead of bytes.
 */
export async function openSourceBlob(registry: Registry, repository: string, digest: string, range?: ByteRange): Promise<Readable> {
  const body = await registry.getBlob(repository, digest, range);
  if (body.kind === 'stream') {
    if (range && range.start > 0 && body.range?.start !== range.start) {
      body.stream.destroy();
      throw new OciError('RANGE_INVALID', `the source ignored the range ${range.start}- of ${digest}`);
    }
    return body.stream;
  }
  const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
  const res = await fetch(body.location, { headers });
  if (!res.ok || !res.body || (range && range.start > 0 && res.status !== 206)) {
    await res.body?.cancel();
    throw new OciError('UNAVAILABLE', `the source's storage answered ${res.status} for ${digest}`);
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}
