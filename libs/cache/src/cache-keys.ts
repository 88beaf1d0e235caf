import { createHash } from 'node:crypto';

/**
 * Cache keys. Every key of a repository starts with `repositoryPrefix(backend, repo)`, so a purge
 * is one prefix delete; keys use the BACKEND and the upstream name, so two routes to one backend
 * share entries. `|` never occurs in a repository name, a tag or a digest.
 */
export const cacheKeys = {
  repositoryPrefix: (backend: string, repo: string): string => `${backend}|${repo}|`,
  /** A manifest's bytes and media type, by digest (immutable). */
  manifest: (backend: string, repo: string, digest: string): string => `${backend}|${repo}|m|${digest}`,
  /** What a HEAD by digest learnt (media type and size) when the bytes are not cached. */
  manifestMeta: (backend: string, repo: string, digest: string): string => `${backend}|${repo}|h|${digest}`,
  /** A tag's targets, one per set of acceptable media types (see `acceptKey`). */
  tag: (backend: string, repo: string, tag: string): string => `${backend}|${repo}|t|${tag}`,
  tagPrefix: (backend: string, repo: string): string => `${backend}|${repo}|t|`,
  tagList: (backend: string, repo: string): string => `${backend}|${repo}|l`,
  referrers: (backend: string, repo: string, subject: string): string => `${backend}|${repo}|r|${subject}`,
  /** The catalog is per backend: every route of the backend shares one listing. */
  catalog: (backend: string): string => `${backend}||catalog`,
};

/**
 * A tag may resolve to an index or to one platform's manifest depending on Accept, so a tag's
 * answer is cached per set of acceptable media types: sorted, deduplicated, hashed.
 */
export function acceptKey(accept: readonly string[]): string {
  const normalised = [...new Set(accept.map((type) => type.trim().toLowerCase()))].sort().join(',');
  let key = acceptKeys.get(normalised);
  if (key === undefined) {
    key = createHash('sha256').update(normalised).digest('hex').slice(0, 16);
    // Clients send a handful of distinct Accept sets; a flood of made-up ones only resets the memo.
    if (acceptKeys.size >= ACCEPT_KEYS_KEPT) acceptKeys.clear();
    acceptKeys.set(normalised, key);
  }
  return key;
}

/** Hashes of Accept sets already seen: every pull of a tag needs one. */
const acceptKeys = new Map<string, string>();
const ACCEPT_KEYS_KEPT = 256;
