import { type Descriptor, invalidField, isPlainObject, optionalMediaType, parseAnnotations, parseDescriptor } from './descriptor';
import { OciError } from './errors';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MediaType } from './media-types';

export type { Descriptor, Platform } from './descriptor';

/** What Gantry needs to know of a manifest: its kind, what it references, its subject. */
export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** The config of an image manifest (also the first of `blobs`). */
  config?: Descriptor;
  /** Blobs (config and layers) for an image manifest. */
  blobs: Descriptor[];
  /** Child manifests for an index. */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MediaType.DOCKER_MANIFEST_V1, MediaType.DOCKER_MANIFEST_V1_SIGNED]);

/**
 * The strict validator every push goes through, whatever the backend: what a registry would
 * refuse is refused here, before anything is stored or sent upstream. `declaredType` is the
 * request's Content-Type (may be empty for legacy clients).
 *
 * Docker schema 1 is refused, as distribution 2.8 does by default; schema 1 manifests an upstream
 * already holds are still served, since reads never parse.
 */
export function parseManifest(bytes: Uint8Array, declaredType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OciError('MANIFEST_INVALID', 'manifest is not valid JSON');
  }
  if (!isPlainObject(doc)) throw new OciError('MANIFEST_INVALID', 'manifest must be a JSON object');
  const innerType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const declared = declaredType?.split(';')[0]?.trim() || undefined;
  if (SCHEMA1_TYPES.has(declared ?? '') || SCHEMA1_TYPES.has(innerType ?? '') || doc.schemaVersion === 1) {
    throw new OciError('MANIFEST_INVALID', 'Docker schema 1 manifests are not supported; push a schema 2 or OCI manifest');
  }
  if (declared && innerType && declared !== innerType) {
    throw new OciError('MANIFEST_INVALID', `Content-Type ${declared} does not match the manifest's mediaType ${innerType}`);
  }
  const mediaType = innerType ?? declared ?? (Array.isArray(doc.manifests) ? MediaType.OCI_INDEX : MediaType.OCI_MANIFEST);
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new OciError('MANIFEST_INVALID', `unsupported manifest media type: ${mediaType.slice(0, 200)}`);
  }
  if (doc.schemaVersion !== 2) throw new OciError('MANIFEST_INVALID', 'schemaVersion must be 2');
  const isIndex = INDEX_MEDIA_TYPES.has(mediaType);
  const parsed: ParsedManifest = { mediaType, isIndex, blobs: [], manifests: [] };
  if (isIndex) {
    parsed.manifests = descriptorList(doc.manifests, 'manifests');
  } else {
    if (doc.config === undefined) throw new OciError('MANIFEST_INVALID', 'image manifest has no config');
    parsed.config = parseDescriptor(doc.config, 'config');
    parsed.blobs = [parsed.config, ...descriptorList(doc.layers ?? [], 'layers')];
  }
  if (doc.subject !== undefined && doc.subject !== null) parsed.subject = parseDescriptor(doc.subject, 'subject');
  const artifactType = optionalMediaType(doc.artifactType, 'artifactType');
  if (artifactType !== undefined) parsed.artifactType = artifactType;
  const annotations = parseAnnotations(doc.annotations, 'annotations');
  if (annotations) parsed.annotations = annotations;
  return parsed;
}

function descriptorList(value: unknown, field: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalidField(field, 'must be an array');
  return value.map((item, i) => parseDescriptor(item, `${field}[${i}]`));
}
