import { OciError } from '#oci';
import { header } from './body';
import { redirectTarget } from './redirects';
import type { UpstreamReply } from './upstream-client';

/**
 * The gateway-persisted state of an upstream upload session. The Location is kept whole: its
 * query (distribution's `_state`, ECR's upload id) is what the upstream needs to continue.
 */
export interface UploadState {
  location: string;
  /** Bytes the upstream holds. */
  size: number;
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
