import { OciError } from './errors';
import { looksLikeDigest } from './digest';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MediaType } from './media-types';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Record<string, unknown>;
}

/** What Gantry needs to know of a manifest: its kind, what it references, its subject. */
export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** Blobs (config and layers) for an image manifest. */
  blobs: Descriptor[];
  /** Child manifests for an index. */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * Validates manifest bytes against the media type the client declared and extracts references.
 * `declaredType` is the request's Content-Type (may be empty for legacy clients).
 */
export function parseManifest(bytes: Uint8Array, declaredType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OciError('MANIFEST_INVALID', 'manifest is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new OciError('MANIFEST_INVALID', 'manifest must be a JSON object');
  }
  const body = doc as Record<string, unknown>;
  const innerType = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const declared = declaredType?.split(';')[0]?.trim() || undefined;
  if (declared && innerType && declared !== innerType) {
    throw new OciError('MANIFEST_INVALID', `Content-Type ${declared} does not match the manifest's mediaType ${innerType}`);
  }
  const mediaType = innerType ?? declared ?? guessMediaType(body);
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new OciError('MANIFEST_INVALID', `unsupported manifest media type: ${mediaType}`);
  }
  if (mediaType === MediaType.DOCKER_MANIFEST_V1 || mediaType === MediaType.DOCKER_MANIFEST_V1_SIGNED) {
    return { mediaType, isIndex: false, blobs: [], manifests: [] };
  }
  if (body.schemaVersion !== 2) throw new OciError('MANIFEST_INVALID', 'schemaVersion must be 2');

  const isIndex = INDEX_MEDIA_TYPES.has(mediaType);
  const parsed: ParsedManifest = { mediaType, isIndex, blobs: [], manifests: [] };
  if (isIndex) {
    parsed.manifests = descriptorList(body.manifests, 'manifests');
  } else {
    if (body.config === undefined) throw new OciError('MANIFEST_INVALID', 'image manifest has no config');
    parsed.blobs = [descriptor(body.config, 'config'), ...descriptorList(body.layers ?? [], 'layers')];
  }
  if (body.subject !== undefined) parsed.subject = descriptor(body.subject, 'subject');
  if (typeof body.artifactType === 'string') parsed.artifactType = body.artifactType;
  if (isStringRecord(body.annotations)) parsed.annotations = body.annotations;
  return parsed;
}

/** The artifactType a referrers index reports: the manifest's own, else its config's media type. */
export function artifactTypeOf(bytes: Uint8Array): string | undefined {
  try {
    const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (typeof body.artifactType === 'string') return body.artifactType;
    const config = body.config as Record<string, unknown> | undefined;
    return typeof config?.mediaType === 'string' ? config.mediaType : undefined;
  } catch {
    return undefined;
  }
}

function guessMediaType(body: Record<string, unknown>): string {
  if (Array.isArray(body.manifests)) return MediaType.OCI_INDEX;
  if (body.schemaVersion === 1) return MediaType.DOCKER_MANIFEST_V1_SIGNED;
  return MediaType.OCI_MANIFEST;
}

function descriptorList(value: unknown, field: string): Descriptor[] {
  if (!Array.isArray(value)) throw new OciError('MANIFEST_INVALID', `${field} must be an array`);
  return value.map((item, i) => descriptor(item, `${field}[${i}]`));
}

function descriptor(value: unknown, field: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw new OciError('MANIFEST_INVALID', `${field} must be a descriptor`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') {
    throw new OciError('MANIFEST_INVALID', `${field}.mediaType is required`);
  }
  if (typeof d.digest !== 'string' || !looksLikeDigest(d.digest)) {
    throw new OciError('MANIFEST_INVALID', `${field}.digest is not a digest`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new OciError('MANIFEST_INVALID', `${field}.size must be a non-negative integer`);
  }
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType;
  if (isStringRecord(d.annotations)) out.annotations = d.annotations;
  if (typeof d.platform === 'object' && d.platform !== null) out.platform = d.platform as Record<string, unknown>;
  return out;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}
