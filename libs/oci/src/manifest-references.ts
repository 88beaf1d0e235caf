import { isPlainObject } from './descriptor';

/** The digests a stored document points at. */
export interface ManifestReferences {
  /** Config and layers of an image manifest (the layers of a legacy schema 1 one). */
  blobs: string[];
  /** Children of an index. */
  manifests: string[];
  subject?: string;
}

/**
 * Reads what content that is already stored refers to, leniently: a manifest accepted before the
 * validator was as strict as it is now must still keep its blobs from garbage collection. Never
 * used to admit a push (that is `parseManifest`). Undefined when the bytes are not a JSON object.
 */
export function referencesOf(bytes: Uint8Array): ManifestReferences | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPlainObject(doc)) return undefined;
  const out: ManifestReferences = {
    blobs: [digestOf(doc.config), ...listOf(doc.layers).map(digestOf), ...listOf(doc.fsLayers).map(blobSumOf)]
      .filter((d): d is string => d !== undefined),
    manifests: listOf(doc.manifests).map(digestOf).filter((d): d is string => d !== undefined),
  };
  const subject = digestOf(doc.subject);
  if (subject) out.subject = subject;
  return out;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function digestOf(value: unknown): string | undefined {
  return isPlainObject(value) && typeof value.digest === 'string' ? value.digest : undefined;
}

function blobSumOf(value: unknown): string | undefined {
  return isPlainObject(value) && typeof value.blobSum === 'string' ? value.blobSum : undefined;
}
