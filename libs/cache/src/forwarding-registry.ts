import type { Readable } from 'node:stream';
import type { Descriptor, Page, PageRequest } from '#oci';
import type {
  BackendStatus, BlobBody, BlobMeta, ByteRange, ChunkInput, ManifestContent, ManifestMeta, PutManifestResult, Registry, UploadHandle,
  UploadProgress,
} from '#registry';

/**
 * A Registry that hands every call to the one it wraps. Decorators (the manifest cache, the disk
 * blob cache) extend it and override only the roles they change, as distribution's proxy stores
 * do. `close()` does nothing: the backend is closed by its owner, whatever wraps it.
 */
export abstract class ForwardingRegistry implements Registry {
  listRepositories?: (page: PageRequest) => Promise<Page>;

  constructor(protected readonly inner: Registry) {
    if (inner.listRepositories) this.listRepositories = (page) => inner.listRepositories!(page);
  }

  get name(): string {
    return this.inner.name;
  }
  get blobMode(): 'proxy' | 'redirect' {
    return this.inner.blobMode;
  }
  getManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestContent> {
    return this.inner.getManifest(repo, reference, accept);
  }
  statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta> {
    return this.inner.statManifest(repo, reference, accept);
  }
  putManifest(repo: string, reference: string, manifest: ManifestContent, subject?: Descriptor): Promise<PutManifestResult> {
    return this.inner.putManifest(repo, reference, manifest, subject);
  }
  deleteManifest(repo: string, reference: string): Promise<void> {
    return this.inner.deleteManifest(repo, reference);
  }
  statBlob(repo: string, digest: string): Promise<BlobMeta> {
    return this.inner.statBlob(repo, digest);
  }
  getBlob(repo: string, digest: string, range?: ByteRange): Promise<BlobBody> {
    return this.inner.getBlob(repo, digest, range);
  }
  deleteBlob(repo: string, digest: string): Promise<void> {
    return this.inner.deleteBlob(repo, digest);
  }
  mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    return this.inner.mountBlob(repo, digest, fromRepo);
  }
  putBlob(repo: string, digest: string, body: Readable, length?: number): Promise<void> {
    return this.inner.putBlob(repo, digest, body, length);
  }
  startUpload(repo: string): Promise<UploadProgress> {
    return this.inner.startUpload(repo);
  }
  writeChunk(repo: string, handle: UploadHandle, chunk: ChunkInput): Promise<UploadProgress> {
    return this.inner.writeChunk(repo, handle, chunk);
  }
  uploadStatus(repo: string, handle: UploadHandle): Promise<UploadProgress> {
    return this.inner.uploadStatus(repo, handle);
  }
  finishUpload(repo: string, handle: UploadHandle, digest: string, chunk?: ChunkInput): Promise<void> {
    return this.inner.finishUpload(repo, handle, digest, chunk);
  }
  cancelUpload(repo: string, handle: UploadHandle): Promise<void> {
    return this.inner.cancelUpload(repo, handle);
  }
  listTags(repo: string, page: PageRequest): Promise<Page> {
    return this.inner.listTags(repo, page);
  }
  listReferrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; filtered: boolean }> {
    return this.inner.listReferrers(repo, digest, artifactType);
  }
  status(): Promise<BackendStatus> {
    return this.inner.status();
  }
  async close(): Promise<void> {}
}
