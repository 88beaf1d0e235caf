import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { OciError, assertValidName, isValidTag, manifestUnknownReference, parseDigest, parseLookupReference, parseReference } from '#oci';

/**
 * The on-disk layout of the local store, in one place:
 *
 *   <root>/blobs/sha256/<2 hex>/<hex>/data                    content, by digest
 *   <root>/repositories/<name>/_layers/sha256/<hex>           blob linked into the repo
 *   <root>/repositories/<name>/_manifests/revisions/sha256/<hex>   {"mediaType"} of a manifest
 *   <root>/repositories/<name>/_manifests/tags/<tag>          the digest the tag points at
 *   <root>/repositories/<name>/_referrers/<subject hex>/<hex> descriptor JSON of a referrer
 *   <root>/uploads/<uuid>/{data,meta.json}                    upload sessions
 *   <root>/tmp/<uuid>                                         files before their atomic rename
 *
 * Repository components never start with `_` (name grammar), so the `_` folders cannot collide
 * with a nested repository. Every path is built from validated parts and checked to stay under
 * the root anyway (defence in depth).
 */
export class StoreLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }

  get repositoriesDir(): string {
    return path.join(this.root, 'repositories');
  }

  get uploadsDir(): string {
    return path.join(this.root, 'uploads');
  }

  get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  /** A fresh name in the store's temp folder: same filesystem, so rename is atomic. */
  tmpFile(): string {
    return path.join(this.tmpDir, randomUUID());
  }

  blobDir(hex: string): string {
    assertHex(hex);
    return this.inside(path.join(this.blobsDir, hex.slice(0, 2), hex));
  }

  blobData(hex: string): string {
    return path.join(this.blobDir(hex), 'data');
  }

  repoDir(repo: string): string {
    assertValidName(repo);
    return this.inside(path.join(this.repositoriesDir, ...repo.split('/')));
  }

  layersDir(repo: string): string {
    return path.join(this.repoDir(repo), '_layers', 'sha256');
  }

  layerLink(repo: string, hex: string): string {
    assertHex(hex);
    return path.join(this.layersDir(repo), hex);
  }

  revisionsDir(repo: string): string {
    return path.join(this.repoDir(repo), '_manifests', 'revisions', 'sha256');
  }

  revisionFile(repo: string, hex: string): string {
    assertHex(hex);
    return path.join(this.revisionsDir(repo), hex);
  }

  tagsDir(repo: string): string {
    return path.join(this.repoDir(repo), '_manifests', 'tags');
  }

  tagFile(repo: string, tag: string): string {
    if (!isValidTag(tag)) throw new OciError('TAG_INVALID', `invalid tag: ${tag.slice(0, 200)}`);
    return this.inside(path.join(this.tagsDir(repo), tag));
  }

  referrersRoot(repo: string): string {
    return path.join(this.repoDir(repo), '_referrers');
  }

  referrersDir(repo: string, subjectHex: string): string {
    assertHex(subjectHex);
    return path.join(this.referrersRoot(repo), subjectHex);
  }

  referrerFile(repo: string, subjectHex: string, hex: string): string {
    assertHex(hex);
    return path.join(this.referrersDir(repo, subjectHex), hex);
  }

  uploadDir(id: string): string {
    if (!UUID.test(id)) throw new OciError('BLOB_UPLOAD_UNKNOWN', 'invalid upload id');
    return this.inside(path.join(this.uploadsDir, id));
  }

  /** Throws unless `candidate` resolves to a path strictly below the root. */
  inside(candidate: string): string {
    const resolved = path.resolve(candidate);
    const rel = path.relative(this.root, resolved);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new OciError('NAME_INVALID', 'path escapes the store');
    }
    return resolved;
  }
}

/** Upload ids are the v4 UUIDs `randomUUID()` makes; nothing else may name a session folder. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const SHA256_HEX = /^[a-f0-9]{64}$/;

function assertHex(hex: string): void {
  if (!SHA256_HEX.test(hex)) throw new OciError('DIGEST_INVALID', 'invalid sha256 digest');
}

/** The hex of a sha256 digest; the local store keeps sha256 content only. */
export function sha256Hex(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  if (algorithm !== 'sha256') {
    throw new OciError('DIGEST_INVALID', `the local store supports sha256 digests only, not ${algorithm}`);
  }
  return hex;
}

/** `sha256Hex` that answers undefined instead of throwing, for digests found inside manifests. */
export function trySha256Hex(digest: string): string | undefined {
  try {
    return sha256Hex(digest);
  } catch {
    return undefined;
  }
}

export type LocalReference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string; hex: string };

/** A reference to push under: TAG_INVALID or DIGEST_INVALID (400) when it is not one. */
export function parseLocalReference(reference: string): LocalReference {
  const ref = parseReference(reference);
  return ref.kind === 'tag' ? ref : { kind: 'digest', digest: ref.digest, hex: sha256Hex(ref.digest) };
}

/** A reference to read or delete: one this store can never hold (not sha256 included) is MANIFEST_UNKNOWN. */
export function parseLocalLookup(reference: string): LocalReference {
  const ref = parseLookupReference(reference);
  if (ref.kind === 'tag') return ref;
  const hex = trySha256Hex(ref.digest);
  if (!hex) throw manifestUnknownReference(reference);
  return { kind: 'digest', digest: ref.digest, hex };
}
