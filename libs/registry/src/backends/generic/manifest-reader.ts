import { digestOf, isDigestReference, MANIFEST_MEDIA_TYPES, MAX_MANIFEST_BYTES, MediaType, OciError, parseDigest, readBounded } from '#oci';
import { discard, header} from './body';
import type { UpstreamReply } from './upstream-client';

export interface ReadManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/**
 * Reads a manifest response with the 4 MiB cap and verifies its bytes: they must hash to the
 * digest reference (pull by digest) and to the `Docker-Content-Digest` the upstream claims.
 * Bytes that fail are never served.
 */
export async function readManifest(reply: UpstreamReply, reference: string, backend: string): Promise<ReadManifest> {
  const declared = Number(header(reply.headers, 'content-length'));
  if (declared > MAX_MANIFEST_BYTES) {
    await discard(reply.body);
    throw tooLarge(backend);
  }
  const bytes = await readBounded(reply.body, MAX_MANIFEST_BYTES, () => tooLarge(backend));
  const claimed = header(reply.headers, 'docker-content-digest')?.trim();
  return { bytes, mediaType: mediaTypeOf(reply, bytes), digest: verifiedDigest(bytes, reference, claimed, backend) };
}

function verifiedDigest(bytes: Buffer, reference: string, claimed: string | undefined, backend: string): string {
  if (isDigestReference(reference)) {
    const computed = digestOf(bytes, parseDigest(reference).algorithm);
    if (computed !== reference) throw mismatch(backend, reference, computed);
    return reference;
  }
  if (claimed) {
    let algorithm: string;
    try {
      algorithm = parseDigest(claimed).algorithm;
    } catch {
      throw new OciError('UNAVAILABLE', `backend ${backend} sent an unusable Docker-Content-Digest`, { status: 502 });
    }
    const computed = digestOf(bytes, algorithm);
    if (computed !== claimed) throw mismatch(backend, claimed, computed);
    return claimed;
  }
  return digestOf(bytes);
}

/** Content-Type when it is a manifest type, else the document's own `mediaType`. */
export function mediaTypeOf(reply: UpstreamReply, bytes: Buffer | undefined): string {
  const contentType = header(reply.headers, 'content-type')?.split(';')[0]?.trim();
  if (contentType && MANIFEST_MEDIA_TYPES.includes(contentType)) return contentType;
  if (bytes) {
    try {
      const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
      if (typeof doc.mediaType === 'string') return doc.mediaType;
      if (Array.isArray(doc.manifests)) return MediaType.OCI_INDEX;
    } catch {
      // not JSON; fall back to what the upstream said
    }
  }
  return contentType || MediaType.OCI_MANIFEST;
}

export function mismatch(backend: string, expected: string, computed: string): OciError {
  return new OciError('UNAVAILABLE', `backend ${backend} served a manifest that does not match ${expected} (got ${computed})`, { status: 502 });
}

function tooLarge(backend: string): OciError {
  return new OciError('MANIFEST_TOO_LARGE', `manifest from backend ${backend} exceeds ${MAX_MANIFEST_BYTES} bytes`);
}

/** The Accept header for a manifest GET: the client's list, or every type Gantry understands. */
export function acceptHeader(accept: readonly string[]): string {
  return (accept.length > 0 ? accept : MANIFEST_MEDIA_TYPES).join(', ');
}
