import { digestOf, parseDigest } from '#oci';

/** A manifest as cached: its exact bytes, media type and digest. */
export interface CachedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** Bytes `[u32 header length][{"mediaType","digest"}][manifest bytes]`; the manifest is never re-serialised. */
export function encodeManifest(manifest: CachedManifest): Buffer | undefined {
  if (!digestMatches(manifest.bytes, manifest.digest)) return undefined;
  const header = Buffer.from(JSON.stringify({ mediaType: manifest.mediaType, digest: manifest.digest }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, manifest.bytes]);
}

/**
 * `decode` run once per entry Buffer. The in-process store hands back the same Buffer on every
 * hit, so a hot entry is decoded (and a manifest hashed) once, not per request; an entry read
 * from Redis is a new Buffer and is decoded and checked on its own.
 */
function oncePerEntry<T>(decode: (entry: Buffer) => T): (entry: Buffer) => T {
  const decoded = new WeakMap<Buffer, { value: T }>();
  return (entry) => {
    let found = decoded.get(entry);
    if (!found) {
      found = { value: decode(entry) };
      decoded.set(entry, found);
    }
    return found.value;
  };
}

const decodeManifestEntry = oncePerEntry(decodeEntry);

/**
 * The manifest, or undefined when the entry is damaged or its bytes do not hash to its digest.
 * Its `bytes` are a view of the entry, shared by every reader of it: read them, never write.
 */
export function decodeManifest(entry: Buffer, expectedDigest: string): Readonly<CachedManifest> | undefined {
  const manifest = decodeManifestEntry(entry);
  return manifest?.digest === expectedDigest ? manifest : undefined;
}

function decodeEntry(entry: Buffer): Readonly<CachedManifest> | undefined {
  try {
    const headerLength = entry.readUInt32BE(0);
    const header = JSON.parse(entry.subarray(4, 4 + headerLength).toString('utf8')) as { mediaType?: unknown; digest?: unknown };
    const bytes = entry.subarray(4 + headerLength);
    if (typeof header.mediaType !== 'string' || typeof header.digest !== 'string' || !digestMatches(bytes, header.digest)) return undefined;
    return Object.freeze({ bytes, mediaType: header.mediaType, digest: header.digest });
  } catch {
    return undefined;
  }
}

function digestMatches(bytes: Buffer, digest: string): boolean {
  try {
    return digestOf(bytes, parseDigest(digest).algorithm) === digest;
  } catch {
    return false;
  }
}

/** A value with the time it was fetched: freshness is `storedAt + ttl`, not the store's own expiry. */
export interface Timed<T> {
  storedAt: number;
  value: T;
}

/**
 * Several variants of one object under one key (a tag per Accept set, a tag list per page,
 * referrers per artifactType), so that one delete invalidates them all, in every replica.
 */
export type Variants<T> = Record<string, Timed<T>>;

export function encodeVariants<T>(variants: Variants<T>): Buffer {
  return Buffer.from(JSON.stringify(variants));
}

const frozenVariants = oncePerEntry((entry) => deepFreeze(decodeVariants<unknown>(entry)));

/**
 * The variants of an entry for reading only: parsed once per entry Buffer (see `oncePerEntry`),
 * and frozen, so that a caller that tried to change the shared value would fail loudly instead of
 * corrupting the cache.
 */
export function readVariants<T>(entry: Buffer | undefined): Readonly<Variants<T>> {
  return entry ? (frozenVariants(entry) as Readonly<Variants<T>>) : {};
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A fresh, mutable copy of an entry's variants (to change and store again). */
export function decodeVariants<T>(entry: Buffer | undefined): Variants<T> {
  if (!entry) return {};
  try {
    const parsed = JSON.parse(entry.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Variants<T>) : {};
  } catch {
    return {};
  }
}
