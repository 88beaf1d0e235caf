import { parseDigest } from './digest';
import { isOciError, OciError } from './errors';

/** The image spec's platform object: only the fields it defines, each checked. */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** RFC 6838 `type/subtype`, which the image spec requires of every media type. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isMediaType(value: unknown): value is string {
  return typeof value === 'string' && MEDIA_TYPE.test(value);
}

/** MANIFEST_INVALID naming the field, e.g. `layers[3].digest: …`. */
export function invalidField(field: string, reason: string): OciError {
  return new OciError('MANIFEST_INVALID', `${field}: ${reason}`, { detail: { field } });
}

/**
 * A descriptor's own fields, each validated: a media type, a digest Gantry can verify (sha256 or
 * sha512, lowercase hex of the right length), a size, and string-to-string annotations. Unknown
 * fields are ignored, as the image spec asks of readers; nothing else is copied.
 */
export function parseDescriptorCore(value: unknown, field: string): Descriptor {
  if (!isPlainObject(value)) throw invalidField(field, 'must be a descriptor object');
  if (!isMediaType(value.mediaType)) throw invalidField(`${field}.mediaType`, 'must be a media type (type/subtype)');
  if (typeof value.digest !== 'string') throw invalidField(`${field}.digest`, 'is required');
  try {
    parseDigest(value.digest);
  } catch (err) {
    throw invalidField(`${field}.digest`, isOciError(err) ? err.message : 'is not a digest');
  }
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) {
    throw invalidField(`${field}.size`, 'must be a non-negative integer');
  }
  const out: Descriptor = { mediaType: value.mediaType, digest: value.digest, size: value.size };
  const artifactType = optionalMediaType(value.artifactType, `${field}.artifactType`);
  if (artifactType !== undefined) out.artifactType = artifactType;
  const annotations = parseAnnotations(value.annotations, `${field}.annotations`);
  if (annotations) out.annotations = annotations;
  return out;
}

/** A descriptor inside a manifest: its core fields, plus `platform` and `urls` when present. */
export function parseDescriptor(value: unknown, field: string): Descriptor {
  const out = parseDescriptorCore(value, field);
  const d = value as Record<string, unknown>;
  if (d.urls !== undefined && d.urls !== null && !isStringArray(d.urls)) throw invalidField(`${field}.urls`, 'must be an array of strings');
  if (d.platform !== undefined && d.platform !== null) out.platform = parsePlatform(d.platform, `${field}.platform`);
  return out;
}

/** Annotations are a string-to-string map (null counts as absent, as Go registries read it). */
export function parseAnnotations(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw invalidField(field, 'must be a map of strings to strings');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidField(`${field}.${key.slice(0, 100)}`, 'must be a string');
    out[key] = v;
  }
  return out;
}

export function optionalMediaType(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!isMediaType(value)) throw invalidField(field, 'must be a media type (type/subtype)');
  return value;
}

function parsePlatform(value: unknown, field: string): Platform {
  if (!isPlainObject(value)) throw invalidField(field, 'must be an object');
  const { architecture, os, variant } = value;
  if (typeof architecture !== 'string' || architecture === '') throw invalidField(`${field}.architecture`, 'must be a non-empty string');
  if (typeof os !== 'string' || os === '') throw invalidField(`${field}.os`, 'must be a non-empty string');
  const out: Platform = { architecture, os };
  const osVersion = value['os.version'];
  if (osVersion !== undefined) {
    if (typeof osVersion !== 'string') throw invalidField(`${field}.os.version`, 'must be a string');
    out['os.version'] = osVersion;
  }
  if (variant !== undefined) {
    if (typeof variant !== 'string') throw invalidField(`${field}.variant`, 'must be a string');
    out.variant = variant;
  }
  for (const key of ['os.features', 'features'] as const) {
    const list = value[key];
    if (list === undefined) continue;
    if (!isStringArray(list)) throw invalidField(`${field}.${key}`, 'must be an array of strings');
    out[key] = [...list];
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
