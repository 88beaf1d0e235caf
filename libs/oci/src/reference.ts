import { looksLikeDigest, parseDigest } from './digest';
import { OciError } from './errors';
import { isValidTag } from './names';

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

/** A manifest reference: a tag, or a digest Gantry can verify. */
export function parseReference(value: string): Reference {
  if (value.includes(':') || looksLikeDigest(value)) {
    parseDigest(value);
    return { kind: 'digest', digest: value };
  }
  if (!isValidTag(value)) {
    throw new OciError('MANIFEST_INVALID', `invalid tag: ${value.slice(0, 200)}`, { status: 400 });
  }
  return { kind: 'tag', tag: value };
}

export function isDigestReference(value: string): boolean {
  return value.includes(':');
}

/** The tag the OCI 1.1 referrers tag schema keeps a subject's referrers index under. */
export function referrersTagFor(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`.slice(0, 128);
}
