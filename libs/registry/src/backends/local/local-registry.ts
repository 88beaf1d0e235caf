import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { OciError, assertValidName, filterReferrers, paginateSorted, type Descriptor, type Page, type PageRequest } from '#oci';
import type {
  BackendStatus,
  BlobBody,
  BlobMeta,
  ByteRange,
  ChunkInput,
  ManifestContent,
  ManifestMeta,
  PutManifestResult,
  Registry,
  UploadHandle,
  UploadProgress,
} from '../../port';
import { BlobLinks } from './blob-links';
import { BlobStore } from './blob-store';
import { repositoriesWithManifests, repositoryExists } from './catalog';
import { removeOlderThan } from './fs-util';
import { LocalManifestStore } from './manifest-store';
import { StoreLayout, sha256Hex } from './paths';
import { ReferrerRecords } from './referrers';
import { UploadStore } from './upload-store';

export interface LocalRegistryConfig {
  path: string;
  delete: boolean;
  uploadExpirySeconds: number;
}

/** Temp files are only orphaned by a crash; a day is far longer than any monolithic push. */
const TMP_MAX_AGE_MS = 24 * 3600 * 1000;
/** The longest pause between expiry sweeps, whatever the expiry. */
const MAX_SWEEP_INTERVAL_MS = 15 * 60 * 1000;

/**
 * The embedded registry: a content-addressed filesystem store (see `paths.ts` for the layout).
 * Folders are created and expired uploads swept on first use; `open()` does it eagerly.
 */
export class LocalRegistry implements Registry {
  readonly blobMode = 'proxy' as const;
  private readonly layout: StoreLayout;
  private readonly blobs: BlobStore;
  private readonly links: BlobLinks;
  private readonly referrers: ReferrerRecords;
  private readonly manifests: LocalManifestStore;
  private readonly uploads: UploadStore;
  private readonly expiryMs: number;
  private ready?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly config: LocalRegistryConfig,
  ) {
    this.layout = new StoreLayout(config.path);
    this.expiryMs = config.uploadExpirySeconds * 1000;
    this.blobs = new BlobStore(this.layout);
    this.links = new BlobLinks(this.layout, this.blobs);
    this.referrers = new ReferrerRecords(this.layout);
    this.manifests = new LocalManifestStore(this.layout, this.blobs, this.links, this.referrers);
    this.uploads = new UploadStore(this.layout, this.blobs, this.expiryMs);
  }

  /** Creates the store's folders, sweeps expired uploads and starts the periodic sweep. */
  open(): Promise<this> {
    this.ready ??= this.init().catch((err: unknown) => {
      this.ready = undefined; // let the next call try again (e.g. after a permission fix)
      throw err;
    });
    return this.ready.then(() => this);
  }

  private async init(): Promise<void> {
    for (const dir of [this.layout.blobsDir, this.layout.repositoriesDir, this.layout.uploadsDir, this.layout.tmpDir]) {
      await fs.mkdir(dir, { recursive: true });
    }
    await this.sweep();
    if (this.closed) return;
    const interval = Math.max(1000, Math.min(this.expiryMs, MAX_SWEEP_INTERVAL_MS));
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), interval);
    this.timer.unref();
  }

  /** Removes expired upload sessions and temp files orphaned by a crash. */
  async sweep(): Promise<void> {
    await this.uploads.sweep();
    await removeOlderThan(this.layout.tmpDir, Math.max(this.expiryMs, TMP_MAX_AGE_MS));
  }

  /** No filesystem path: the admin API is not protected yet, and anyone may read it. */
  async status(): Promise<BackendStatus> {
    return { name: this.name, type: 'local', delete: this.config.delete };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- manifests

  async getManifest(repo: string, reference: string, _accept: readonly string[]): Promise<ManifestContent> {
    await this.open();
    return this.manifests.get(repo, reference);
  }

  async statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta> {
    const { mediaType, digest, bytes } = await this.getManifest(repo, reference, accept);
    return { mediaType, digest, size: bytes.length };
  }

  /** The subject is taken from the bytes themselves; the caller's parse is not trusted. */
  async putManifest(repo: string, reference: string, manifest: ManifestContent, _subject?: Descriptor): Promise<PutManifestResult> {
    await this.open();
    return this.manifests.put(repo, reference, manifest);
  }

  async deleteManifest(repo: string, reference: string): Promise<void> {
    this.assertDeletable();
    await this.open();
    await this.manifests.delete(repo, reference);
  }

  // ---- blobs

  async statBlob(repo: string, digest: string): Promise<BlobMeta> {
    await this.open();
    const hex = sha256Hex(digest);
    const st = await this.links.resolve(repo, hex);
    if (!st) throw blobUnknown(digest);
    await this.blobs.touch(hex, st);
    return { digest, size: st.size };
  }

  async getBlob(repo: string, digest: string, range?: ByteRange): Promise<BlobBody> {
    await this.open();
    const hex = sha256Hex(digest);
    if (!(await this.links.resolve(repo, hex))) throw blobUnknown(digest);
    const read = await this.blobs.read(hex, range);
    if (!read) throw blobUnknown(digest);
    return { kind: 'stream', ...read };
  }

  async deleteBlob(repo: string, digest: string): Promise<void> {
    this.assertDeletable();
    await this.open();
    if (!(await this.links.unlink(repo, sha256Hex(digest)))) throw blobUnknown(digest);
  }

  // ---- uploads

  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    await this.open();
    const hex = sha256Hex(digest);
    assertValidName(repo);
    const st = await this.links.resolve(fromRepo, hex);
    if (!st) return false;
    await this.blobs.touch(hex, st);
    await this.links.link(repo, hex);
    return true;
  }

  async putBlob(repo: string, digest: string, body: Readable, length?: number): Promise<void> {
    await this.open();
    const hex = sha256Hex(digest);
    assertValidName(repo);
    await this.blobs.ingestStream(hex, body, length);
    await this.links.link(repo, hex);
  }

  async startUpload(repo: string): Promise<UploadProgress> {
    await this.open();
    assertValidName(repo);
    return this.uploads.start(repo);
  }

  async writeChunk(repo: string, handle: UploadHandle, chunk: ChunkInput): Promise<UploadProgress> {
    await this.open();
    assertValidName(repo);
    return this.uploads.write(repo, handle, chunk);
  }

  async uploadStatus(repo: string, handle: UploadHandle): Promise<UploadProgress> {
    await this.open();
    assertValidName(repo);
    return this.uploads.status(repo, handle);
  }

  async finishUpload(repo: string, handle: UploadHandle, digest: string, chunk?: ChunkInput): Promise<void> {
    await this.open();
    assertValidName(repo);
    const hex = sha256Hex(digest);
    await this.uploads.finish(repo, handle, hex, chunk);
    await this.links.link(repo, hex);
  }

  async cancelUpload(repo: string, handle: UploadHandle): Promise<void> {
    await this.open();
    assertValidName(repo);
    await this.uploads.cancel(repo, handle);
  }

  // ---- listings

  async listTags(repo: string, page: PageRequest): Promise<Page> {
    await this.open();
    if (!(await repositoryExists(this.layout, repo))) {
      throw new OciError('NAME_UNKNOWN', `repository not known: ${repo}`, { detail: { name: repo } });
    }
    return paginateSorted(await this.manifests.tags(repo), page);
  }

  async listRepositories(page: PageRequest): Promise<Page> {
    await this.open();
    return paginateSorted(await repositoriesWithManifests(this.layout), page);
  }

  /** Records whose manifest is gone (a crash mid-delete) are skipped, not served. */
  async listReferrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; filtered: boolean }> {
    await this.open();
    const subjectHex = sha256Hex(digest);
    const all: Descriptor[] = [];
    for (const descriptor of await this.referrers.list(repo, subjectHex)) {
      if (await this.manifests.hasRevision(repo, sha256Hex(descriptor.digest))) all.push(descriptor);
    }
    const filtered = artifactType !== undefined && artifactType !== '';
    return { manifests: filterReferrers(all, artifactType), filtered };
  }

  private assertDeletable(): void {
    if (!this.config.delete) throw new OciError('UNSUPPORTED', 'deletes are disabled for this backend');
  }
}

function blobUnknown(digest: string): OciError {
  return new OciError('BLOB_UNKNOWN', `blob unknown: ${digest}`, { detail: { digest } });
}
