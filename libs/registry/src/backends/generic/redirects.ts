import { OciError } from '#oci';
import { discard, header } from './body';
import type { UpstreamClient, UpstreamReply } from './upstream-client';

export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];
/** Registries redirect once (to storage), CDNs sometimes once more; more is a loop. */
const MAX_HOPS = 5;

export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.includes(status);
}

/** The absolute target of a redirect; a relative Location (GAR) resolves against the request URL. */
export function redirectTarget(reply: UpstreamReply, backend: string): URL {
  const location = header(reply.headers, 'location');
  let target: URL | undefined;
  try {
    target = location ? new URL(location, reply.url) : undefined;
  } catch {
    target = undefined;
  }
  if (!target || (target.protocol !== 'https:' && target.protocol !== 'http:')) {
    throw new OciError('UNAVAILABLE', `backend ${backend} sent a redirect without a usable Location`, { status: 502 });
  }
  return target;
}

/**
 * Follows storage redirects with GET and no Authorization on any hop: presigned URLs carry their
 * own signature, and S3 rejects a request that carries both (and must never see our token).
 * Only `Range` travels along. Returns the first non-redirect answer.
 */
export async function followRedirects(client: UpstreamClient, first: URL, range: string | undefined): Promise<UpstreamReply> {
  let url = first;
  for (let hop = 1; hop <= MAX_HOPS; hop++) {
    const reply = await client.sendAnonymous('GET', url, range ? { range } : {});
    if (!isRedirect(reply.statusCode)) return reply;
    await discard(reply.body);
    url = redirectTarget(reply, client.backend);
  }
  throw new OciError('UNAVAILABLE', `backend ${client.backend}: more than ${MAX_HOPS} blob redirects`, { status: 502 });
}
