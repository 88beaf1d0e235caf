/** `n`/`last` pagination of the tags and catalog APIs. */
export interface PageRequest {
  n?: number;
  last?: string;
}

export interface Page {
  items: string[];
  /** The `last` value of the next page, when there is one. */
  next?: string;
}

/** Paginates a list of names that is already sorted lexically. */
export function paginateSorted(sorted: readonly string[], request: PageRequest): Page {
  let start = 0;
  if (request.last !== undefined) {
    start = sorted.findIndex((v) => v > request.last!);
    if (start < 0) start = sorted.length;
  }
  if (request.n === undefined) return { items: sorted.slice(start) };
  const items = sorted.slice(start, start + request.n);
  const hasMore = start + request.n < sorted.length;
  return hasMore && items.length > 0 ? { items, next: items[items.length - 1] } : { items };
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
