import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { MediaType, OciError } from '#oci';
import type { ChunkInput, UploadProgress } from '../../port';
import { discard, header } from './body';
import { redirectTarget } from './redirects';
import type { UpstreamClient, UpstreamReply } from './upstream-client';

/**
 * The gateway-persisted state of an upstream upload session. The Location is kept whole: its
 * query (distribution's `_state`, ECR's upload id) is what the upstream needs to continue.
 */
export interface UploadState {
  location: string;
  /** Bytes the upstream holds. */
  size: number;
}

const push = (name: string): string => `repository:${name}:pull,push`;
const OCTET_STREAM = { 'content-type': MediaType.OCTET_STREAM };

/** Upload sessions on the upstream: open (POST), PATCH chunks, close (PUT ?digest=), cancel. */
export class UploadSessions {
  constructor(private readonly client: UpstreamClient) {}

  /** Opens a session and returns its absolute Location. */
  async open(name: string): Promise<string> {
    const reply = await this.client.send({ method: 'POST', url: `v2/${name}/blobs/uploads/`, scopes: [push(name)], op: 'upload', expect: [202] });
    await discard(reply.body);
    return uploadLocation(reply, this.client.backend);
  }

  /** Streams one chunk; a stream body is never retried (it cannot be replayed). */
  async patch(name: string, state: UploadState, chunk: ChunkInput): Promise<UploadProgress> {
    if (chunk.offset !== state.size) throw outOfOrder(state.size);
    const headers: Record<string, string> = { ...OCTET_STREAM };
    let body: Readable = chunk.body;
    let counter: ByteCounter | undefined;
    if (chunk.length !== undefined) {
      headers['content-length'] = String(chunk.length);
      if (chunk.length > 0) headers['content-range'] = `${chunk.offset}-${chunk.offset + chunk.length - 1}`;
    } else {
      // Unknown length goes chunked; count it in case the upstream's Range is ambiguous.
      counter = new ByteCounter();
      body = pipeline(chunk.body, counter, () => undefined);
    }
    const reply = await this.client.send({ method: 'PATCH', url: state.location, scopes: [push(name)], op: 'upload', headers, body, expect: [202, 204] });
    await discard(reply.body);
    const location = header(reply.headers, 'location') ? uploadLocation(reply, this.client.backend) : state.location;
    const size = uploadedSize(reply, chunk.offset + (chunk.length ?? counter?.bytes ?? 0));
    return { handle: encodeHandle({ location, size }), size };
  }

  /** Completes the session at `location` with `digest`, sending the last bytes if there are some. */
  async close(name: string, location: string, digest: string, body?: Readable, length?: number): Promise<void> {
    const headers: Record<string, string> = { ...OCTET_STREAM };
    const contentLength = body ? length : 0;
    if (contentLength !== undefined) headers['content-length'] = String(contentLength);
    const reply = await this.client.send({
      method: 'PUT', url: withDigest(location, digest), scopes: [push(name)], op: 'upload', headers, ...(body ? { body } : {}), expect: [201, 204],
    });
    await discard(reply.body);
  }

  async cancel(name: string, location: string): Promise<void> {
    // distribution wants `delete` for a DELETE, others `push`: asking for both costs nothing.
    const reply = await this.client.send({
      method: 'DELETE', url: location, scopes: [`repository:${name}:pull,push,delete`], op: 'upload', expect: [200, 202, 204],
    });
    await discard(reply.body);
  }
}

export function encodeHandle(state: UploadState): string {
  return JSON.stringify(state);
}

export function decodeHandle(handle: string, backend: string): UploadState {
  try {
    const doc = JSON.parse(handle) as Partial<UploadState>;
    if (typeof doc.location === 'string' && typeof doc.size === 'number') {
      const url = new URL(doc.location);
      if (url.protocol === 'http:' || url.protocol === 'https:') return { location: url.href, size: doc.size };
    }
  } catch {
    // fall through
  }
  throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload handle is not one of backend ${backend}`);
}

/** The session's next URL from a 202 (relative Locations resolve against the request). */
export function uploadLocation(reply: UpstreamReply, backend: string): string {
  if (!header(reply.headers, 'location')) {
    throw new OciError('UNAVAILABLE', `backend ${backend} opened an upload without a Location`, { status: 502 });
  }
  return redirectTarget(reply, backend).href;
}

/** Adds `digest=` to a Location, keeping whatever query the upstream put there. */
export function withDigest(location: string, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

/**
 * Size held after a chunk, from the `Range: 0-<last>` the upstream answers with. distribution
 * says `0-0` both for 0 and for 1 byte, so `expected` (what we know we sent) breaks the tie.
 */
export function uploadedSize(reply: UpstreamReply, expected: number): number {
  const match = /(\d+)-(\d+)/.exec(header(reply.headers, 'range') ?? '');
  if (!match) return expected;
  const end = Number(match[2]);
  if (end === 0 && Number(match[1]) === 0) return Math.min(expected, 1);
  return end + 1;
}

export function outOfOrder(size: number): OciError {
  return new OciError('RANGE_INVALID', `chunk does not start at offset ${size}`, { headers: { range: `0-${Math.max(0, size - 1)}` } });
}

/** Counts bytes flowing through, for chunked uploads of unknown length. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
