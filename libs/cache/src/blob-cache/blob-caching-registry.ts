import { LRUCache } from 'lru-cache';
import { OciError, parseDigest } from '#oci';
import type { BlobBody, BlobMeta, ByteRange, Registry } from '#registry';
import { ForwardingRegistry } from '../forwarding-registry';
import type { BlobCache } from './blob-cache';
import { serveCachedFile } from './serve-cached-file';

/** Upstream answers that mean "this repository may not have this blob"; anything else (down, 5xx) does not. */
const DENIALS = new Set([401, 403, 404]);

/**
 * A Registry whose blob reads go through a disk cache; every other call passes straight through.
 * Blobs are content-addressed across repositories, so before a cached blob is served for a
 * repository that has not fetched it, the upstream is asked (HEAD) whether that repository has
 * it: the cache never widens what a repository's pull can reach. That costs one upstream HEAD
 * per repository and blob (per process), never a GET.
 */
export class BlobCachingRegistry extends ForwardingRegistry {
  private readonly confirmed = new LRUCache<string, true>({ max: 100_000 });
  private readonly confirming = new Map<string, Promise<void>>();

  constructor(
    inner: Registry,
    private readonly cache: BlobCache,
  ) {
    super(inner);
  }

  override async statBlob(repo: string, digest: string): Promise<BlobMeta> {
    parseDigest(digest);
    const size = this.confirmed.has(`${repo}@${digest}`) ? await this.cache.disk.sizeOf(digest) : undefined;
    if (size !== undefined) return { digest, size, cacheStatus: 'hit' };
    const meta = await this.inner.statBlob(repo, digest);
    return { ...meta, cacheStatus: 'miss' };
  }

  override async getBlob(repo: string, digest: string, range?: ByteRange): Promise<BlobBody> {
    parseDigest(digest);
    // Presigned redirects send clients to storage: nothing flows through Gantry to cache.
    if (this.inner.blobMode === 'redirect') return this.inner.getBlob(repo, digest, range);
    const cached = await this.cache.open(digest);
    if (cached) {
      try {
        await this.confirm(repo, digest);
        return serveCachedFile(cached.file, cached.size, range, cached.release);
      } catch (err) {
        cached.release();
        await cached.file.close();
        throw err;
      }
    }
    // A part of a cold blob is passed through; the whole blob is filled on its first full pull.
    if (range) return { ...(await this.inner.getBlob(repo, digest, range)), cacheStatus: 'miss' };
    // A fill that another repository started (here or on another replica) is joined only once
    // this repository is known to have the blob.
    await this.confirm(repo, digest);
    const { stream, size } = await this.cache.fill(digest, () => this.inner.getBlob(repo, digest));
    return { kind: 'stream', stream, size, cacheStatus: 'miss' };
  }

  /** Asks the upstream once (concurrent askers share the answer) whether `repo` has the blob. */
  private confirm(repo: string, digest: string): Promise<void> {
    const key = `${repo}@${digest}`;
    if (this.confirmed.has(key)) return Promise.resolve();
    let pending = this.confirming.get(key);
    if (!pending) {
      pending = this.askUpstream(repo, digest).finally(() => this.confirming.delete(key));
      this.confirming.set(key, pending);
    }
    return pending;
  }

  private async askUpstream(repo: string, digest: string): Promise<void> {
    try {
      await this.inner.statBlob(repo, digest);
    } catch (err) {
      if (err instanceof OciError && DENIALS.has(err.status)) throw err;
      // The upstream is down or failing: a verified copy, or a fill under way, is the better answer.
    }
    this.confirmed.set(`${repo}@${digest}`, true);
  }

  override deleteBlob(repo: string, digest: string): Promise<void> {
    this.confirmed.delete(`${repo}@${digest}`);
    return this.inner.deleteBlob(repo, digest);
  }
}
