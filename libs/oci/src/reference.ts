import { looksLikeDigest, parseDigest } from './digest';
import { isOciError, OciError } from './errors';
import { isValidTag } from './names';

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

/** A manifest reference to push under: a valid tag (else TAG_INVALID), or a digest Gantry can verify (else DIGEST_INVALID). */
export function parseReference(value: string): Reference {
  if (value.includes(':') || looksLikeDigest(value)) {
    parseDigest(value);
    return { kind: 'digest', digest: value };
  }
  if (!isValidTag(value)) {
    throw new OciError('TAG_INVALID', `invalid tag: ${value.slice(0, 200)}`, { detail: { tag: value.slice(0, 200) } });
  }
  return { kind: 'tag', tag: value };
}

/**
 * A manifest reference to read or delete. One that cannot be valid names no manifest, so it is
 * MANIFEST_UNKNOWN (404), as in distribution and the OCI conformance suite, not a client error.
 */
export function parseLookupReference(value: string): Reference {
  try {
    return parseReference(value);
  } catch (err) {
    if (isOciError(err)) throw manifestUnknownReference(value);
    throw err;
  }
}

export function manifestUnknownReference(value: string): OciError {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return new OciError('MANIFEST_UNKNOWN', `manifest unknown: ${shown}`, { detail: { reference: shown } });
}

export function isDigestReference(value: string): boolean {
  return value.includes(':');
}

/** The tag the OCI 1.1 referrers tag schema keeps a subject's referrers index under. */
export function referrersTagFor(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`.slice(0, 128);
}
