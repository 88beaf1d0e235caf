import type { Logger } from 'pino';
import { type Descriptor, isDigestReference, type Page, type PageRequest, parseManifest, referrersTagFor } from '#oci';
import type { CacheAnnotated, CacheStatus, ManifestContent, ManifestMeta, PutManifestResult, Registry } from '#registry';
import { decodeManifest, encodeManifest, type CachedManifest } from './cache-entries';
import { acceptKey, cacheKeys } from './cache-keys';
import { CacheCounters, type RouteCachePolicy } from './cache-policy';
import type { CacheStore } from './cache-store';
import { ClusterFill } from './cluster-fill';
import { ForwardingRegistry } from './forwarding-registry';
import type { InFlight } from './in-flight';
import type { LockService } from './lock-service';
import { MemoryLockService } from './memory-lock-service';
import { TimedCache, type TimedRead } from './timed-cache';

/** Where a tag pointed for one Accept set: enough to answer a HEAD, and the key of the bytes. */
interface TagTarget {
  digest: string;
  mediaType: string;
  size: number;
}

type Referrers = { manifests: Descriptor[]; filtered: boolean };

export interface CachingRegistryOptions {
  /** The backend's name: cache keys and log lines use it (two routes to one backend share entries). */
  backend: string;
  policy: RouteCachePolicy;
  store: CacheStore;
  /** Shared by every decorator of the gateway, so routes to one backend coalesce together. */
  inFlight: InFlight;
  /**
   * The gateway's locks: with Redis, a miss is fetched by one replica and read from the store by
   * the others. Without it (or with the in-process service) coalescing stays in-process.
   */
  locks?: LockService;
  logger: Logger;
  counters?: CacheCounters;
  now?: () => number;
}

/**
 * The cache decorator over the Registry port: manifests by digest (immutable, verified), tags
 * (TTL, stale-while-revalidate, stale-if-error), tag lists, referrers and the catalog (listTtl).
 * Pushes and deletes through it invalidate what they touched. Blobs and uploads pass through.
 */
export class CachingRegistry extends ForwardingRegistry {
  readonly counters: CacheCounters;
  /** The backend's catalog through the cache; set in the constructor when the backend has one. */
  override listRepositories?: (page: PageRequest) => Promise<Page & CacheAnnotated> = undefined;
  private readonly timed: TimedCache;
  private readonly fill: ClusterFill;
  private readonly backend: string;
  private readonly store: CacheStore;
  private readonly policy: RouteCachePolicy;
  /** Manifests by digest are immutable; they stay as long as a tag may still need them. */
  private readonly manifestTtlMs: number;

  constructor(
    inner: Registry,
    private readonly options: CachingRegistryOptions,
  ) {
    super(inner);
    this.backend = options.backend;
    this.store = options.store;
    this.policy = options.policy;
    this.counters = options.counters ?? new CacheCounters();
    this.fill = new ClusterFill(options.locks ?? new MemoryLockService());
    this.timed = new TimedCache(options.store, options.inFlight, this.fill, options.logger, options.now ?? Date.now);
    this.manifestTtlMs = Math.max(TimedCache.storeTtl(options.policy.tagTtlMs, options.policy.staleIfErrorMs), 86_400_000);
    if (inner.listRepositories) {
      const list = inner.listRepositories.bind(inner);
      this.listRepositories = (page) => this.counted(this.timed.read<Page, Page>({
        ...this.listRead(cacheKeys.catalog(this.backend), pageVariant(page), 'catalog'),
        fetch: async () => {
          const listed = await list(page);
          return { answer: listed, value: { items: listed.items, ...(listed.next !== undefined ? { next: listed.next } : {}) } };
        },
        answer: async (value) => value,
      }));
    }
  }

  override async getManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestContent & CacheAnnotated> {
    if (isDigestReference(reference)) return this.counted(this.manifestByDigest(repo, reference, accept));
    return this.counted(this.timed.read<TagTarget, ManifestContent>({
      ...this.tagRead(repo, reference, accept, 'get'),
      fetch: async () => {
        const manifest = await this.inner.getManifest(repo, reference, accept);
        await this.rememberManifest(repo, manifest);
        return { answer: manifest, value: targetOf(manifest) };
      },
      answer: (target) => this.cachedManifest(repo, target.digest),
      // The bytes were never cached (the tag was seen by a HEAD) or were evicted: the digest the
      // tag last had is asked for by digest, never the tag (a failover below serves it from a replica).
      staleAnswer: (target) => this.manifestByDigest(repo, target.digest, accept),
    }));
  }

  override async statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta & CacheAnnotated> {
    if (isDigestReference(reference)) return this.counted(this.metaByDigest(repo, reference, accept));
    return this.counted(this.timed.read<TagTarget, ManifestMeta>({
      ...this.tagRead(repo, reference, accept, 'head'),
      fetch: async () => {
        const meta = await this.inner.statManifest(repo, reference, accept);
        return { answer: meta, value: { digest: meta.digest, mediaType: meta.mediaType, size: meta.size } };
      },
      answer: async (target) => ({ ...target }),
    }));
  }

  override async putManifest(repo: string, reference: string, manifest: ManifestContent, subject?: Descriptor): Promise<PutManifestResult> {
    const result = await this.inner.putManifest(repo, reference, manifest, subject);
    await this.rememberManifest(repo, { bytes: manifest.bytes, mediaType: manifest.mediaType, digest: result.digest });
    const keys = [cacheKeys.manifestMeta(this.backend, repo, result.digest), cacheKeys.tagList(this.backend, repo), cacheKeys.catalog(this.backend)];
    if (!isDigestReference(reference)) keys.push(cacheKeys.tag(this.backend, repo, reference));
    const subjectDigest = result.subject ?? subject?.digest;
    if (subjectDigest) keys.push(...this.referrerKeys(repo, subjectDigest));
    await this.store.delete(keys);
    return result;
  }

  override async deleteManifest(repo: string, reference: string): Promise<void> {
    if (!isDigestReference(reference)) {
      await this.inner.deleteManifest(repo, reference);
      await this.store.delete([cacheKeys.tag(this.backend, repo, reference), cacheKeys.tagList(this.backend, repo)]);
      return;
    }
    const known = await this.cachedManifest(repo, reference);
    await this.inner.deleteManifest(repo, reference);
    const keys = [
      cacheKeys.manifest(this.backend, repo, reference),
      cacheKeys.manifestMeta(this.backend, repo, reference),
      cacheKeys.tagList(this.backend, repo),
      cacheKeys.catalog(this.backend),
      cacheKeys.referrers(this.backend, repo, reference),
    ];
    const subjectDigest = known ? subjectOf(known) : undefined;
    if (subjectDigest) keys.push(...this.referrerKeys(repo, subjectDigest));
    await this.store.delete(keys);
    // Any tag may have pointed at it; which ones is not known without asking every tag.
    await this.store.deletePrefix(cacheKeys.tagPrefix(this.backend, repo));
  }

  override async listTags(repo: string, page: PageRequest): Promise<Page & CacheAnnotated> {
    return this.counted(this.timed.read<Page, Page>({
      ...this.listRead(cacheKeys.tagList(this.backend, repo), pageVariant(page), `tags of ${repo}`),
      fetch: async () => {
        const listed = await this.inner.listTags(repo, page);
        return { answer: listed, value: { items: listed.items, ...(listed.next !== undefined ? { next: listed.next } : {}) } };
      },
      answer: async (value) => value,
    }));
  }

  override async listReferrers(repo: string, digest: string, artifactType?: string): Promise<Referrers & CacheAnnotated> {
    return this.counted(this.timed.read<Referrers, Referrers>({
      ...this.listRead(cacheKeys.referrers(this.backend, repo, digest), artifactType ?? '', `referrers of ${repo}@${digest}`),
      fetch: async () => {
        const listed = await this.inner.listReferrers(repo, digest, artifactType);
        return { answer: listed, value: { manifests: listed.manifests, filtered: listed.filtered } };
      },
      answer: async (value) => value,
    }));
  }

  // Blobs, uploads and status pass through (ForwardingRegistry): the disk blob cache is its own decorator.

  private async manifestByDigest(repo: string, digest: string, accept: readonly string[]): Promise<ManifestContent & CacheAnnotated> {
    const cached = await this.cachedManifest(repo, digest);
    if (cached && accept.includes(cached.mediaType)) return { ...cached, cacheStatus: 'hit' };
    const id = `${cacheKeys.manifest(this.backend, repo, digest)}#${acceptKey(accept)}`;
    const load = async (): Promise<ManifestContent> => {
      const fetched = await this.inner.getManifest(repo, digest, accept);
      await this.rememberManifest(repo, fetched);
      return fetched;
    };
    const stored = async (): Promise<ManifestContent | undefined> => {
      const filled = await this.cachedManifest(repo, digest);
      return filled && accept.includes(filled.mediaType) ? filled : undefined;
    };
    const manifest = await this.options.inFlight.run(id, () => this.fill.run(id, load, stored));
    return { ...manifest, cacheStatus: 'miss' };
  }

  private async metaByDigest(repo: string, digest: string, accept: readonly string[]): Promise<ManifestMeta & CacheAnnotated> {
    const cached = await this.cachedManifest(repo, digest);
    if (cached && accept.includes(cached.mediaType)) {
      return { digest, mediaType: cached.mediaType, size: cached.bytes.length, cacheStatus: 'hit' };
    }
    const metaKey = cacheKeys.manifestMeta(this.backend, repo, digest);
    const known = parseMeta(await this.store.get(metaKey), digest);
    if (known && accept.includes(known.mediaType)) return { ...known, cacheStatus: 'hit' };
    const id = `${metaKey}#${acceptKey(accept)}`;
    const load = async (): Promise<ManifestMeta> => {
      const fetched = await this.inner.statManifest(repo, digest, accept);
      if (fetched.digest === digest) {
        const value = Buffer.from(JSON.stringify({ digest, mediaType: fetched.mediaType, size: fetched.size }));
        await this.store.set(metaKey, value, this.manifestTtlMs);
      }
      return fetched;
    };
    const stored = async (): Promise<ManifestMeta | undefined> => {
      const filled = await this.cachedManifest(repo, digest);
      if (filled && accept.includes(filled.mediaType)) return { digest, mediaType: filled.mediaType, size: filled.bytes.length };
      const meta = parseMeta(await this.store.get(metaKey), digest);
      return meta && accept.includes(meta.mediaType) ? meta : undefined;
    };
    const meta = await this.options.inFlight.run(id, () => this.fill.run(id, load, stored));
    return { ...meta, cacheStatus: 'miss' };
  }

  private async cachedManifest(repo: string, digest: string): Promise<Readonly<CachedManifest> | undefined> {
    const entry = await this.store.get(cacheKeys.manifest(this.backend, repo, digest));
    return entry ? decodeManifest(entry, digest) : undefined;
  }

  /** Stores exact bytes by digest; bytes that do not hash to their digest are not stored. */
  private async rememberManifest(repo: string, manifest: CachedManifest): Promise<void> {
    const entry = encodeManifest(manifest);
    if (entry) await this.store.set(cacheKeys.manifest(this.backend, repo, manifest.digest), entry, this.manifestTtlMs);
  }

  /** The subject's referrers, and its tag in the referrers tag schema (which a push may rewrite). */
  private referrerKeys(repo: string, subject: string): string[] {
    return [cacheKeys.referrers(this.backend, repo, subject), cacheKeys.tag(this.backend, repo, referrersTagFor(subject))];
  }

  private tagRead(repo: string, tag: string, accept: readonly string[], operation: string): Omit<TimedRead<TagTarget, never>, 'fetch' | 'answer'> {
    return {
      key: cacheKeys.tag(this.backend, repo, tag),
      variant: acceptKey(accept),
      operation,
      ttlMs: this.policy.tagTtlMs,
      staleIfErrorMs: this.policy.staleIfErrorMs,
      revalidateInBackground: true,
      backend: this.backend,
      what: `${repo}:${tag}`,
    };
  }

  private listRead(key: string, variant: string, what: string): Omit<TimedRead<never, never>, 'fetch' | 'answer'> {
    return {
      key, variant, operation: 'list', what, backend: this.backend,
      ttlMs: this.policy.listTtlMs,
      staleIfErrorMs: this.policy.staleIfErrorMs,
      revalidateInBackground: false,
    };
  }

  private async counted<T extends CacheAnnotated>(result: Promise<T>): Promise<T> {
    const answered = await result;
    this.counters.count(answered.cacheStatus ?? ('bypass' satisfies CacheStatus));
    return answered;
  }
}

function targetOf(manifest: ManifestContent): TagTarget {
  return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
}

function pageVariant(page: PageRequest): string {
  return `${page.n ?? ''}|${page.last ?? ''}`;
}

function parseMeta(entry: Buffer | undefined, digest: string): ManifestMeta | undefined {
  if (!entry) return undefined;
  try {
    const meta = JSON.parse(entry.toString('utf8')) as Partial<ManifestMeta>;
    if (meta.digest !== digest || typeof meta.mediaType !== 'string' || typeof meta.size !== 'number') return undefined;
    return { digest, mediaType: meta.mediaType, size: meta.size };
  } catch {
    return undefined;
  }
}

function subjectOf(manifest: Readonly<CachedManifest>): string | undefined {
  try {
    return parseManifest(manifest.bytes, manifest.mediaType).subject?.digest;
  } catch {
    return undefined;
  }
}
