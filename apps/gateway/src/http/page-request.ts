import { OciError, type PageRequest } from '#oci';

/** `n` and `last` of the tags and catalog APIs. */
export function pageRequest(query: Record<string, string | undefined>): PageRequest {
  const page: PageRequest = {};
  if (query.n !== undefined) {
    if (!/^\d{1,9}$/.test(query.n)) throw new OciError('UNSUPPORTED', 'n must be a non-negative integer', { status: 400 });
    page.n = Number(query.n);
  }
  if (query.last !== undefined) page.last = query.last;
  return page;
}

/** The RFC 5988 `Link` header of the next page. */
export function nextLink(path: string, n: number | undefined, next: string | undefined): Record<string, string> {
  if (next === undefined) return {};
  const query = new URLSearchParams();
  if (n !== undefined) query.set('n', String(n));
  query.set('last', next);
  return { link: `<${path}?${query.toString()}>; rel="next"` };
}
