/** The v2 API's URL grammar. Names may hold slashes, so routes are matched from the right. */
export type V2Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload-start'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string };

const PATTERNS: [RegExp, (m: RegExpExecArray) => V2Route][] = [
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: decode(m[2]!) })],
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload-start', name: m[1]! })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: decode(m[2]!) })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: decode(m[2]!) })],
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: decode(m[2]!) })],
];

/**
 * `path` is the raw (still percent-encoded) part after `/v2/`. Names are not decoded: an
 * encoded `%2e%2e` stays invalid instead of turning into `..`.
 */
export function matchV2Route(path: string): V2Route | undefined {
  if (path === '' || path === '/') return { kind: 'base' };
  if (path === '_catalog') return { kind: 'catalog' };
  for (const [pattern, build] of PATTERNS) {
    const m = pattern.exec(path);
    if (m) return build(m);
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function manifestPath(name: string, reference: string): string {
  return `/v2/${name}/manifests/${reference}`;
}

export function blobPath(name: string, digest: string): string {
  return `/v2/${name}/blobs/${digest}`;
}

export function uploadPath(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}
