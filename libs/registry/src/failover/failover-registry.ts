import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { type Descriptor, digestOf, isDigestReference, OciError, type Page, type PageRequest, parseDigest } from '#oci';
import type {
  BackendStatus, BlobBody, BlobMeta, ByteRange, ChunkInput, ManifestContent, ManifestMeta, PutManifestResult, Registry, ServedByAnnotated,
  UploadHandle, UploadProgress,
} from '#registry';
import { isPrimaryFailure } from './primary-failure';
import { verifiedBlob, verifiedBlobRange } from './verified-blob';

/**
 * A route's primary backend with replicas that hold copies of it (replication). Reads BY DIGEST
 * that the primary fails (down, timeout, 5xx, 429, open circuit) are served by the first replica
 * that has that digest, verified by digest; the answer names the replica (`servedBy`). A 404 at
 * the primary is an answer, not a failure.
 *
 * Tags never fail over here: a replica's tag may point elsewhere. The cache decorator above
 * answers a tag from the digest it last saw and asks for that digest (which then fails over).
 * Tag lists, referrers and the catalog stay the primary's (a replica's listing may differ), and
 * writes and deletes always go to the primary only, so they fail while it is down.
 * Replicas are asked under the same upstream name as the primary. `close()` does nothing: the
 * backends are closed by their owner.
 */
export class FailoverRegistry implements Registry {
  listRepositories?: (page: PageRequest) => Promise<Page>;

  constructor(
    private readonly primary: Registry,
    private readonly replicas: readonly Registry[],
    private readonly logger: Logger,
  ) {
    if (primary.listRepositories) this.listRepositories = (page) => primary.listRepositories!(page);
  }

  get name(): string {
    return this.primary.name;
  }
  get blobMode(): 'proxy' | 'redirect' {
    return this.primary.blobMode;
  }

  async getManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestContent & ServedByAnnotated> {
    const read = (registry: Registry): Promise<ManifestContent> => registry.getManifest(repo, reference, accept);
    if (!isDigestReference(reference)) return read(this.primary);
    return this.failover(repo, `manifest ${reference}`, read, async (replica) => verifiedManifest(await read(replica), reference));
  }

  async statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta & ServedByAnnotated> {
    if (!isDigestReference(reference)) return this.primary.statManifest(repo, reference, accept);
    // From a replica the bytes are fetched and hashed: a manifest is small, and a HEAD answered
    // from a replica then promises only what the replica really holds.
    return this.failover(repo, `manifest ${reference}`, (primary) => primary.statManifest(repo, reference, accept), async (replica) => {
      const manifest = verifiedManifest(await replica.getManifest(repo, reference, accept), reference);
      return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
    });
  }

  statBlob(repo: string, digest: string): Promise<BlobMeta & ServedByAnnotated> {
    return this.failover(repo, `blob ${digest}`, (registry) => registry.statBlob(repo, digest), async (replica) => {
      const meta = await replica.statBlob(repo, digest);
      if (meta.digest !== digest) throw new OciError('BLOB_UNKNOWN', `replica ${replica.name} answered ${meta.digest} for ${digest}`);
      return { digest, size: meta.size };
    });
  }

  getBlob(repo: string, digest: string, range?: ByteRange): Promise<BlobBody & ServedByAnnotated> {
    parseDigest(digest);
    return this.failover(repo, `blob ${digest}`, (primary) => primary.getBlob(repo, digest, range), async (replica) => {
      const body = await replica.getBlob(repo, digest);
      if (body.kind === 'redirect') {
        // Bytes that never pass through Gantry cannot be verified here; the client checks them,
        // as it does for the primary's own redirects. A proxying route never hands them out.
        if (this.blobMode === 'redirect' && !range) return { kind: 'redirect', location: body.location };
        throw new OciError('UNAVAILABLE', `replica ${replica.name} redirects blob reads`);
      }
      const mismatch = (err: Error): void => {
        this.logger.warn(
          { backend: this.primary.name, replica: replica.name, repository: repo, digest, err: err.message },
          `replica ${replica.name} served bytes that are not ${digest}: transfer aborted`,
        );
      };
      return range ? verifiedBlobRange(body, digest, range, mismatch) : verifiedBlob(body, digest, mismatch);
    });
  }

  // Writes, deletes and listings: the primary's alone.

  putManifest(repo: string, reference: string, manifest: ManifestContent, subject?: Descriptor): Promise<PutManifestResult> {
    return this.primary.putManifest(repo, reference, manifest, subject);
  }
  deleteManifest(repo: string, reference: string): Promise<void> {
    return this.primary.deleteManifest(repo, reference);
  }
  deleteBlob(repo: string, digest: string): Promise<void> {
    return this.primary.deleteBlob(repo, digest);
  }
  mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    return this.primary.mountBlob(repo, digest, fromRepo);
  }
  putBlob(repo: string, digest: string, body: Readable, length?: number): Promise<void> {
    return this.primary.putBlob(repo, digest, body, length);
  }
  startUpload(repo: string): Promise<UploadProgress> {
    return this.primary.startUpload(repo);
  }
  writeChunk(repo: string, handle: UploadHandle, chunk: ChunkInput): Promise<UploadProgress> {
    return this.primary.writeChunk(repo, handle, chunk);
  }
  uploadStatus(repo: string, handle: UploadHandle): Promise<UploadProgress> {
    return this.primary.uploadStatus(repo, handle);
  }
  finishUpload(repo: string, handle: UploadHandle, digest: string, chunk?: ChunkInput): Promise<void> {
    return this.primary.finishUpload(repo, handle, digest, chunk);
  }
  cancelUpload(repo: string, handle: UploadHandle): Promise<void> {
    return this.primary.cancelUpload(repo, handle);
  }
  listTags(repo: string, page: PageRequest): Promise<Page> {
    return this.primary.listTags(repo, page);
  }
  listReferrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; filtered: boolean }> {
    return this.primary.listReferrers(repo, digest, artifactType);
  }
  status(): Promise<BackendStatus> {
    return this.primary.status();
  }
  async close(): Promise<void> {}

  /**
   * The primary's answer; when the primary fails, the first replica's that succeeds, else the
   * primary's error (a replica's 404 must not turn "the primary is down" into "not found").
   * One log line per failover, naming the backends.
   */
  private async failover<T extends object>(
    repo: string,
    what: string,
    fromPrimary: (primary: Registry) => Promise<T>,
    fromReplica: (replica: Registry) => Promise<T>,
  ): Promise<T & ServedByAnnotated> {
    try {
      return await fromPrimary(this.primary);
    } catch (err) {
      if (!isPrimaryFailure(err) || this.replicas.length === 0) throw err;
      const misses: string[] = [];
      for (const replica of this.replicas) {
        try {
          const answer = await fromReplica(replica);
          this.logger.warn(
            { backend: this.primary.name, replica: replica.name, repository: repo, object: what, err: (err as Error).message, ...(misses.length ? { misses } : {}) },
            `backend ${this.primary.name} failed: ${what} served by replica ${replica.name}`,
          );
          return { ...answer, servedBy: replica.name };
        } catch (replicaErr) {
          misses.push(`${replica.name}: ${(replicaErr as Error).message}`);
        }
      }
      this.logger.warn(
        { backend: this.primary.name, replicas: this.replicas.map((r) => r.name), repository: repo, object: what, err: (err as Error).message, misses },
        `backend ${this.primary.name} failed and no replica could serve ${what}`,
      );
      throw err;
    }
  }
}

/** A replica's manifest is served only when its bytes hash to the digest asked for. */
function verifiedManifest(manifest: ManifestContent, digest: string): ManifestContent {
  if (manifest.digest !== digest || digestOf(manifest.bytes, parseDigest(digest).algorithm) !== digest) {
    throw new OciError('MANIFEST_UNKNOWN', `the bytes served are not ${digest}`);
  }
  const { bytes, mediaType } = manifest;
  return { bytes, mediaType, digest };
}
