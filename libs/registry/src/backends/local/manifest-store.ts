import {
  MAX_MANIFEST_BYTES,
  OciError,
  compareNames,
  digestOf,
  isValidTag,
  parseManifest,
  referrerDescriptor,
  type Descriptor,
  type ParsedManifest,
} from '#oci';
import type { Stats } from 'node:fs';
import type { ManifestContent, PutManifestResult } from '../../port';
import type { BlobLinks } from './blob-links';
import type { BlobStore } from './blob-store';
import { listDir, readIfExists, removeFile, statIfExists, writeFileAtomic } from './fs-util';
import { mapConcurrently } from './map-concurrently';
import { parseLocalLookup, parseLocalReference, trySha256Hex, type StoreLayout } from './paths';
import type { ReferrerRecords } from './referrers';

/** Layers clients never push (Windows base layers): distribution does not require them either. */
const NON_DISTRIBUTABLE = /(foreign|nondistributable)/;
/** Filesystem checks in flight for one push: enough to hide latency, few enough to leave room for other requests. */
export const REFERENCE_CHECK_CONCURRENCY = 16;

/**
 * Manifests are blobs (bytes exactly as received) plus, per repository, a revision file that
 * records the media type, tag files that hold a digest, and referrer records. Every file is
 * written to a temp name and renamed, and in dependency order (content, revision, referrer,
 * tag), so a reader never sees a tag that leads nowhere or a partial manifest.
 */
export class LocalManifestStore {
  constructor(
    private readonly layout: StoreLayout,
    private readonly blobs: BlobStore,
    private readonly links: BlobLinks,
    private readonly referrers: ReferrerRecords,
  ) {}

  /** The hex of the manifest `reference` names in `repo`; MANIFEST_UNKNOWN when none. */
  async resolve(repo: string, reference: string): Promise<string> {
    const ref = parseLocalLookup(reference);
    if (ref.kind === 'digest') return ref.hex;
    const raw = await readIfExists(this.layout.tagFile(repo, ref.tag));
    const hex = raw && trySha256Hex(raw.toString('utf8').trim());
    if (!hex) throw new OciError('MANIFEST_UNKNOWN', `unknown tag: ${ref.tag}`, { detail: { tag: ref.tag } });
    return hex;
  }

  async hasRevision(repo: string, hex: string): Promise<boolean> {
    return (await statIfExists(this.layout.revisionFile(repo, hex)))?.isFile() === true;
  }

  async get(repo: string, reference: string): Promise<ManifestContent> {
    const hex = await this.resolve(repo, reference);
    const digest = `sha256:${hex}`;
    const revision = await readIfExists(this.layout.revisionFile(repo, hex));
    // Corrupt content is never served: readSmall verifies (once per process) and removes it.
    const bytes = revision && (await this.blobs.readSmall(hex));
    if (!revision || !bytes) throw manifestUnknown(digest);
    return { bytes, mediaType: storedMediaType(revision) ?? parseManifest(bytes, undefined).mediaType, digest };
  }

  async put(repo: string, reference: string, manifest: ManifestContent): Promise<PutManifestResult> {
    const ref = parseLocalReference(reference);
    const tagFile = ref.kind === 'tag' ? this.layout.tagFile(repo, ref.tag) : undefined;
    const { bytes } = manifest;
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new OciError('MANIFEST_TOO_LARGE', `manifest is ${bytes.length} bytes, the limit is ${MAX_MANIFEST_BYTES}`);
    }
    const digest = digestOf(bytes);
    const hex = digest.slice('sha256:'.length);
    if (manifest.digest && manifest.digest !== digest) {
      throw new OciError('DIGEST_INVALID', `manifest digest is ${digest}, not ${manifest.digest}`);
    }
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw new OciError('DIGEST_INVALID', `manifest digest is ${digest}, not ${ref.digest}`);
    }
    const parsed = parseManifest(bytes, manifest.mediaType);
    const subjectHex = parsed.subject && trySha256Hex(parsed.subject.digest);
    if (parsed.subject && !subjectHex) {
      throw new OciError('MANIFEST_INVALID', 'the local store supports sha256 subject digests only');
    }
    const referrer = parsed.subject && referrerDescriptor(parsed, bytes.length, digest);
    await this.checkReferences(repo, parsed);

    await this.blobs.ingestBytes(hex, bytes);
    await writeFileAtomic(this.layout, this.layout.revisionFile(repo, hex), JSON.stringify({ mediaType: parsed.mediaType }));
    if (referrer && subjectHex) await this.referrers.record(repo, subjectHex, hex, referrer);
    if (tagFile) await writeFileAtomic(this.layout, tagFile, digest);
    return parsed.subject ? { digest, subject: parsed.subject.digest } : { digest };
  }

  /** By digest: tags pointing at it, its referrer record, then the revision. By tag: the tag. */
  async delete(repo: string, reference: string): Promise<void> {
    const ref = parseLocalLookup(reference);
    if (ref.kind === 'tag') {
      if (!(await removeFile(this.layout.tagFile(repo, ref.tag)))) {
        throw new OciError('MANIFEST_UNKNOWN', `unknown tag: ${ref.tag}`, { detail: { tag: ref.tag } });
      }
      return;
    }
    if (!(await this.hasRevision(repo, ref.hex))) throw manifestUnknown(ref.digest);
    for (const tag of await this.tags(repo)) {
      const raw = await readIfExists(this.layout.tagFile(repo, tag));
      if (raw?.toString('utf8').trim() === ref.digest) await removeFile(this.layout.tagFile(repo, tag));
    }
    await this.referrers.remove(repo, ref.hex);
    await removeFile(this.layout.revisionFile(repo, ref.hex));
  }

  /** Tag names in lexical order (none when the repository has no tags folder). */
  async tags(repo: string): Promise<string[]> {
    const entries = await listDir(this.layout.tagsDir(repo));
    return entries.filter(isValidTag).sort(compareNames);
  }

  /**
   * Blobs must be linked in this repository and child manifests stored in it, sizes matching.
   * Each distinct digest is looked up once, a bounded number at a time: a manifest may list the
   * same layer thousands of times. The first problem in manifest order is the one reported.
   */
  private async checkReferences(repo: string, parsed: ParsedManifest): Promise<void> {
    const blobs = parsed.blobs.filter((b) => !NON_DISTRIBUTABLE.test(b.mediaType));
    const blobStats = await this.lookUp(blobs, (hex) => this.links.resolve(repo, hex));
    const childStats = await this.lookUp(parsed.manifests, async (hex) => ((await this.hasRevision(repo, hex)) ? this.blobs.stat(hex) : undefined));
    for (const [descriptors, stats] of [[blobs, blobStats], [parsed.manifests, childStats]] as const) {
      for (const d of descriptors) {
        const st = stats.get(d.digest);
        if (!st) throw blobUnknown(d);
        checkSize(d, st.size);
      }
    }
    const found = [...blobStats, ...childStats].flatMap(([digest, st]) => (st ? [[trySha256Hex(digest)!, st] as const] : []));
    await mapConcurrently(found, REFERENCE_CHECK_CONCURRENCY, ([hex, st]) => this.blobs.touch(hex, st));
  }

  /** The stats of each distinct digest among `descriptors` (undefined: absent, or not sha256). */
  private async lookUp(descriptors: readonly Descriptor[], stat: (hex: string) => Promise<Stats | undefined>): Promise<Map<string, Stats | undefined>> {
    const digests = [...new Set(descriptors.map((d) => d.digest))];
    const stats = await mapConcurrently(digests, REFERENCE_CHECK_CONCURRENCY, async (digest) => {
      const hex = trySha256Hex(digest);
      return hex ? stat(hex) : undefined;
    });
    return new Map(digests.map((digest, i) => [digest, stats[i]]));
  }
}

function storedMediaType(revision: Buffer): string | undefined {
  try {
    const { mediaType } = JSON.parse(revision.toString('utf8')) as { mediaType?: unknown };
    return typeof mediaType === 'string' && mediaType !== '' ? mediaType : undefined;
  } catch {
    return undefined;
  }
}

function checkSize(descriptor: Descriptor, size: number): void {
  if (descriptor.size !== size) {
    throw new OciError('MANIFEST_INVALID', `${descriptor.digest} is ${size} bytes, the manifest says ${descriptor.size}`, {
      detail: { digest: descriptor.digest },
    });
  }
}

function blobUnknown(descriptor: Descriptor): OciError {
  return new OciError('MANIFEST_BLOB_UNKNOWN', `${descriptor.digest} is not in this repository`, {
    detail: { digest: descriptor.digest },
  });
}

function manifestUnknown(digest: string): OciError {
  return new OciError('MANIFEST_UNKNOWN', `unknown manifest: ${digest}`, { detail: { digest } });
}
