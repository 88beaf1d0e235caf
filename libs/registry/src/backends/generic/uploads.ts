import { MediaType, OciError } from '#oci';
import type { ChunkInput, UploadProgress } from '../../port';
import { discard, header } from './body';
import { ChunkRelay } from './chunk-relay';
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

  /**
   * Streams one chunk; a stream body is never retried (it cannot be replayed). It always goes
   * chunked, so that a client that stops half-way ends the upstream body instead of breaking it:
   * the upstream then keeps what arrived and answers with the session's new state. (distribution
   * refuses every later request on a session whose PATCH broke off: "upload resumed at wrong
   * offset", and cannot even cancel it.)
   */
  async patch(name: string, state: UploadState, chunk: ChunkInput): Promise<UploadProgress> {
    return (await this.relay(name, state, chunk)).progress;
  }

  /**
   * Completes the session with `digest`. Last bytes go as a PATCH first (see `patch`), so that a
   * body that breaks off still leaves a session the upstream can cancel. A failed completion
   * ends the session: it is cancelled upstream at its newest state.
   */
  async complete(name: string, state: UploadState, digest: string, chunk?: ChunkInput): Promise<void> {
    let location = state.location;
    try {
      if (chunk) {
        const relayed = await this.relay(name, state, chunk);
        location = decodeHandle(relayed.progress.handle, this.client.backend).location;
        if (relayed.brokeOff) throw new OciError('BLOB_UPLOAD_INVALID', 'the blob body broke off before its end');
      }
      await this.close(name, location, digest);
    } catch (err) {
      await this.cancel(name, location).catch(() => undefined);
      throw err;
    }
  }

  private async relay(name: string, state: UploadState, chunk: ChunkInput): Promise<{ progress: UploadProgress; brokeOff: boolean }> {
    if (chunk.offset !== state.size) throw outOfOrder(state.size);
    const headers: Record<string, string> = { ...OCTET_STREAM };
    if (chunk.length !== undefined && chunk.length > 0) headers['content-range'] = `${chunk.offset}-${chunk.offset + chunk.length - 1}`;
    const relay = new ChunkRelay(chunk.body);
    const reply = await this.client.send({ method: 'PATCH', url: state.location, scopes: [push(name)], op: 'upload', headers, body: relay, expect: [202, 204] });
    await discard(reply.body);
    return { progress: this.progress(reply, state.location, chunk.offset + relay.bytes), brokeOff: relay.brokeOff };
  }

  /** Where the session stands, from the upstream (`GET <location>` answers with `Range`). */
  async status(name: string, state: UploadState): Promise<UploadProgress> {
    const reply = await this.client.send({ method: 'GET', url: state.location, scopes: [push(name)], op: 'upload', expect: [200, 204] });
    await discard(reply.body);
    return this.progress(reply, state.location, state.size);
  }

  /** Completes the session at `location` with `digest`; the bytes are all there already. */
  private async close(name: string, location: string, digest: string): Promise<void> {
    const reply = await this.client.send({
      method: 'PUT', url: withDigest(location, digest), scopes: [push(name)], op: 'upload', headers: { ...OCTET_STREAM, 'content-length': '0' }, expect: [201, 204],
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

  /** The session after a reply: its new Location (distribution's moves on every call) and size. */
  private progress(reply: UpstreamReply, location: string, expected: number): UploadProgress {
    const next = header(reply.headers, 'location') ? uploadLocation(reply, this.client.backend) : location;
    const size = uploadedSize(reply, expected);
    return { handle: encodeHandle({ location: next, size }), size };
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
