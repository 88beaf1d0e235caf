import { OciError, readBounded } from '#oci';
import { header} from './body';
import type { Operation } from './error-mapping';
import type { UpstreamClient, UpstreamReply } from './upstream-client';

const PAGE_BODY_LIMIT = 32 * 1024 * 1024;
/** A guard against a Link loop; 10,000 pages of 100 names is far beyond any real repository. */
const MAX_PAGES = 10_000;

/** The `rel="next"` target of a `Link` header, resolved against the request URL. */
export function nextLink(reply: UpstreamReply): URL | undefined {
  const value = header(reply.headers, 'link');
  if (!value) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?next"?/i.test(match[2]!)) {
      try {
        return new URL(match[1]!, reply.url);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Fetches every page of a tags or catalog listing. The gateway paginates the merged, sorted
 * result itself, because upstreams (distribution 2.8) honour `n`/`last` only partially.
 */
export async function fetchAllPages(
  client: UpstreamClient,
  first: string,
  scopes: readonly string[],
  op: Operation,
  field: 'tags' | 'repositories',
): Promise<string[]> {
  const items: string[] = [];
  const seen = new Set<string>();
  let url: URL | undefined = client.resolve(first);
  const origin = url.origin;
  while (url && !seen.has(url.href)) {
    if (seen.size >= MAX_PAGES) break;
    seen.add(url.href);
    const reply = await client.send({ method: 'GET', url, scopes, op, headers: { accept: 'application/json' }, expect: [200] });
    const body = await readBounded(reply.body, PAGE_BODY_LIMIT, () => new OciError('UNAVAILABLE', `backend ${client.backend}: listing page too large`));
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new OciError('UNAVAILABLE', `backend ${client.backend} sent an unreadable ${field} list`, { status: 502 });
    }
    const page = doc[field];
    if (Array.isArray(page)) for (const item of page) if (typeof item === 'string') items.push(item);
    const next = nextLink(reply);
    // Never follow a Link to another host: it would get our token.
    url = next && next.origin === origin ? next : undefined;
  }
  return items;
}
