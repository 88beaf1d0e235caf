import { type Descriptor, invalidField, isPlainObject, parseDescriptorCore } from './descriptor';
import { OciError } from './errors';
import type { ParsedManifest } from './manifest';
import { MediaType } from './media-types';

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof MediaType.OCI_INDEX;
  manifests: Descriptor[];
}

/**
 * The most annotation text one referrer may carry into a referrers index. Far above what
 * signatures and SBOMs use; it keeps one referrer from crowding every other out of an index that
 * must stay under the 4 MiB manifest limit.
 */
export const MAX_REFERRER_ANNOTATION_BYTES = 64 * 1024;

/**
 * A referrers-response entry from untrusted JSON (an upstream's index, a stored record): only the
 * fields the response defines — mediaType, digest, size, artifactType, string annotations — each
 * validated and bounded. Anything else, `platform` included, is left behind. MANIFEST_INVALID
 * when the entry cannot be listed.
 */
export function parseReferrerEntry(value: unknown, field = 'descriptor'): Descriptor {
  const core = parseDescriptorCore(value, field);
  const entry: Descriptor = { mediaType: core.mediaType, digest: core.digest, size: core.size };
  if (core.artifactType !== undefined) entry.artifactType = core.artifactType;
  if (core.annotations && Object.keys(core.annotations).length > 0) {
    let bytes = 0;
    for (const [key, text] of Object.entries(core.annotations)) bytes += Buffer.byteLength(key) + Buffer.byteLength(text);
    if (bytes > MAX_REFERRER_ANNOTATION_BYTES) {
      throw invalidField(`${field}.annotations`, `hold ${bytes} bytes, more than the ${MAX_REFERRER_ANNOTATION_BYTES} a referrer may list`);
    }
    entry.annotations = core.annotations;
  }
  return entry;
}

/** The entries of a referrers index, each checked on its own: one bad entry never hides the rest. */
export interface ReferrersIndexEntries {
  manifests: Descriptor[];
  /** Why each skipped entry was skipped. */
  skipped: string[];
}

/** Reads an image index as a referrers list; MANIFEST_INVALID when it is not an index at all. */
export function referrersFromIndex(bytes: Uint8Array): ReferrersIndexEntries {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OciError('MANIFEST_INVALID', 'referrers index is not valid JSON');
  }
  if (!isPlainObject(doc) || !Array.isArray(doc.manifests)) throw new OciError('MANIFEST_INVALID', 'referrers index has no manifests list');
  if (doc.mediaType !== undefined && doc.mediaType !== MediaType.OCI_INDEX) {
    throw new OciError('MANIFEST_INVALID', 'referrers index is not an OCI image index');
  }
  const out: ReferrersIndexEntries = { manifests: [], skipped: [] };
  doc.manifests.forEach((value: unknown, i) => {
    try {
      out.manifests.push(parseReferrerEntry(value, `manifests[${i}]`));
    } catch (err) {
      out.skipped.push((err as Error).message);
    }
  });
  return out;
}

/**
 * The entry a referrers index lists for a pushed manifest with a subject: its artifactType, else
 * its config's media type, and its annotations. Checked before the manifest is stored, so a
 * manifest Gantry could not list is refused rather than stored unlisted.
 */
export function referrerDescriptor(parsed: ParsedManifest, size: number, digest: string): Descriptor {
  const artifactType = parsed.artifactType ?? parsed.config?.mediaType;
  return parseReferrerEntry({ mediaType: parsed.mediaType, digest, size, artifactType, annotations: parsed.annotations }, 'referrer');
}

export function referrersIndex(manifests: Descriptor[]): ReferrersIndex {
  return { schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests };
}

/** Applies the `artifactType` filter of the referrers API. */
export function filterReferrers(manifests: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? manifests.filter((m) => m.artifactType === artifactType) : manifests;
}
