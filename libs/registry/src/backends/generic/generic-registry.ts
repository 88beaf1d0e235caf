import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import {
  assertValidName, compareNames, filterReferrers, isDigestReference, isOciError, MANIFEST_MEDIA_TYPES, MediaType, OciError,
  paginateSorted, parseDigest, parseLookupReference, parseManifest, parseReference, referencesOf, referrerDescriptor, type Descriptor,
  type Page, type PageRequest,
} from '#oci';
import type {
  BackendSharedState, BackendStatus, BlobBody, BlobMeta, ByteRange, ChunkInput, ManifestContent, ManifestMeta, PutManifestResult, Registry, UploadHandle,
  UploadProgress,
} from '../../port';
import type { Clock } from './clock';
import { discard, header } from './body';
import type { CircuitBreakerOptions } from './circuit-breaker';
import type { BearerTokenProvider, CredentialSource } from './credentials';
import { BlobFetcher } from './blob-fetcher';
import { fetchAllPages } from './link-pagination';
import { acceptHeader, mismatch, readManifest, type ReadManifest } from './manifest-reader';
import { ReferrersTagSchema } from './referrers-fallback';
import { NativeReferrers, type ReferrersMode } from './native-referrers';
import { decodeHandle, encodeHandle, uploadLocation, UploadSessions } from './uploads';
import { UpstreamClient, type UpstreamReply } from './upstream-client';

export interface GenericRegistryOptions {
  name: string;
  /** The backend type shown in status (`registry`, `dockerhub`, `ecr`…). */
  type: string;
  url: string;
  credentials?: CredentialSource;
  /** Replaces the Docker token GET against the realm (ACR's OAuth2 exchange). */
  tokenProvider?: BearerTokenProvider;
  /** Extra hosts a token realm may point at; the registry's own host is always allowed. */
  allowedRealmHosts?: string[];
  blobMode: 'proxy' | 'redirect';
  /** See UpstreamClientOptions: `requestMs` bounds a whole request, `readMs` idle time. */
  timeouts: { connectMs: number; readMs: number; requestMs?: number };
  retries: number;
  circuitBreaker?: CircuitBreakerOptions;
  /** Token expiry, the circuit breaker and the failed-ping memory read it; tests move it by hand. */
  clock?: Clock;
  logger: Logger;
  /** `probe` (default) asks the upstream once; `api` / `tag-schema` when the answer is known. */
  referrers?: ReferrersMode;
  /** False for upstreams without `_catalog` (Docker Hub): `listRepositories` is then absent. */
  catalog?: boolean;
  /** A non-401 answer that means "credentials expired" (ECR's 403); see UpstreamClientOptions. */
  isCredentialRejection?: (err: OciError) => boolean;
  /** Locks and tokens shared with the other gateway replicas (absent: this process only). */
  shared?: BackendSharedState;
}

const pull = (name: string): string => `repository:${name}:pull`;
const push = (name: string): string => `repository:${name}:pull,push`;

/**
 * Any OCI distribution (Docker Registry v2) upstream behind the Registry port. Cloud backends
 * subclass it: override `upstreamName`, the manifest/upload methods (to create repositories
 * first) or `listCatalog`, and reach the upstream through `this.client`.
 */
export class GenericRegistry implements Registry {
  readonly name: string;
  readonly type: string;
  readonly blobMode: 'proxy' | 'redirect';
  /** Present only when the upstream has a catalog (the gateway skips backends without one). */
  readonly listRepositories?: (page: PageRequest) => Promise<Page>;
  protected readonly client: UpstreamClient;
  protected readonly logger: Logger;
  protected readonly credentials?: CredentialSource;
  protected readonly referrers: NativeReferrers;
  protected readonly tagSchema: ReferrersTagSchema;
  protected readonly blobs: BlobFetcher;
  protected readonly uploads: UploadSessions;

  constructor(options: GenericRegistryOptions) {
    this.name = options.name;
    this.type = options.type;
    this.blobMode = options.blobMode;
    this.credentials = options.credentials;
    // The backend factory may have bound the name already; binding it twice duplicates the key.
    this.logger = options.logger.bindings().backend === options.name ? options.logger : options.logger.child({ backend: options.name });
    this.client = new UpstreamClient({
      backend: options.name,
      url: new URL(options.url),
      credentials: options.credentials,
      tokenProvider: options.tokenProvider,
      allowedRealmHosts: options.allowedRealmHosts ?? [],
      timeouts: options.timeouts,
      retries: options.retries,
      circuitBreaker: options.circuitBreaker,
      clock: options.clock,
      logger: this.logger,
      isCredentialRejection: options.isCredentialRejection,
      sharedTokens: options.shared?.tokens,
      observer: options.shared?.observer,
    });
    this.blobs = new BlobFetcher(this.client);
    this.uploads = new UploadSessions(this.client);
    this.referrers = new NativeReferrers(this.client, options.referrers ?? 'probe', this.logger);
    this.tagSchema = new ReferrersTagSchema(
      { get: (name, tag) => this.fetchTagged(name, tag), put: (name, tag, bytes, type) => this.storeManifest(name, tag, bytes, type).then(() => undefined) },
      this.logger,
      options.shared?.locks,
    );
    if (options.catalog !== false) this.listRepositories = (page) => this.listCatalog(page);
  }

  // ---- extension hooks -------------------------------------------------------------------

  /** The repository name as the upstream knows it (Docker Hub adds `library/`). */
  protected upstreamName(repo: string): string {
    assertValidName(repo);
    return repo;
  }

  /** Upstream headers the client should see too; Docker Hub's rate-limit headers by default. */
  protected upstreamHeadersOf(reply: UpstreamReply): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(reply.headers)) {
      if (value !== undefined && (key.startsWith('ratelimit-') || key === 'docker-ratelimit-source')) out[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /** `_catalog`, every page, then paginated by Gantry. */
  protected async listCatalog(page: PageRequest): Promise<Page> {
    const names = await fetchAllPages(this.client, 'v2/_catalog', ['registry:catalog:*'], 'catalog', 'repositories');
    return paginateSorted([...new Set(names)].sort(compareNames), page);
  }

  // ---- manifests ---------------------------------------------------------------------------

  async getManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestContent> {
    const name = this.upstreamName(repo);
    parseLookupReference(reference);
    const reply = await this.requestManifest('GET', name, reference, accept);
    const content: ManifestContent = await readManifest(reply, reference, this.name);
    const upstreamHeaders = this.upstreamHeadersOf(reply);
    return upstreamHeaders ? { ...content, upstreamHeaders } : content;
  }

  async statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta> {
    const name = this.upstreamName(repo);
    parseLookupReference(reference);
    const reply = await this.requestManifest('HEAD', name, reference, accept);
    await discard(reply.body);
    const claimed = header(reply.headers, 'docker-content-digest')?.trim();
    const size = Number(header(reply.headers, 'content-length'));
    const contentType = header(reply.headers, 'content-type')?.split(';')[0]?.trim();
    if (isDigestReference(reference) && claimed && claimed !== reference) throw mismatch(this.name, reference, claimed);
    const digest = isDigestReference(reference) ? reference : claimed;
    if (!digest || !Number.isSafeInteger(size) || !contentType || !MANIFEST_MEDIA_TYPES.includes(contentType)) {
      // Some upstreams leave these out of HEAD; a GET (verified) answers instead.
      const { bytes, mediaType, digest: verified, upstreamHeaders } = await this.getManifest(repo, reference, accept);
      return { mediaType, digest: verified, size: bytes.length, ...(upstreamHeaders ? { upstreamHeaders } : {}) };
    }
    const upstreamHeaders = this.upstreamHeadersOf(reply);
    return { mediaType: contentType, digest, size, ...(upstreamHeaders ? { upstreamHeaders } : {}) };
  }

  /**
   * The manifest is validated here too (the caller's parse is not trusted): nothing a registry
   * would refuse goes upstream. Once the upstream has stored it the push has succeeded, whatever
   * happens to the bookkeeping of its referrers afterwards.
   */
  async putManifest(repo: string, reference: string, manifest: ManifestContent, _subject?: Descriptor): Promise<PutManifestResult> {
    const name = this.upstreamName(repo);
    parseReference(reference);
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    const referrer = parsed.subject && referrerDescriptor(parsed, manifest.bytes.length, manifest.digest);
    const reply = await this.storeManifest(name, reference, manifest.bytes, manifest.mediaType);
    const result: PutManifestResult = { digest: manifest.digest };
    if (!parsed.subject || !referrer) return result;
    const subject = await this.indexReferrer(name, parsed.subject.digest, referrer, reply);
    return subject ? { ...result, subject } : result;
  }

  /**
   * Lists a stored referrer under its subject: the upstream's referrers API does it itself, else
   * Gantry updates the tag-schema index. Answers the OCI-Subject value, or undefined when the
   * index could not be updated; the client then maintains the tag schema itself, as the spec
   * asks of clients that get no OCI-Subject.
   */
  private async indexReferrer(name: string, subject: string, referrer: Descriptor, stored: UpstreamReply): Promise<string | undefined> {
    try {
      if (await this.referrers.supported(name, subject)) return header(stored.headers, 'oci-subject');
      await this.tagSchema.add(name, subject, referrer);
      return subject;
    } catch (err) {
      this.logger.warn(
        { repository: name, subject, referrer: referrer.digest, err: isOciError(err) ? err.message : String(err) },
        'manifest stored, but its referrers index could not be updated',
      );
      return undefined;
    }
  }

  async deleteManifest(repo: string, reference: string): Promise<void> {
    const name = this.upstreamName(repo);
    parseLookupReference(reference);
    // Only a manifest that is about to disappear can tell us which tag-schema index lists it.
    const subject = isDigestReference(reference) ? await this.subjectKeptInTagSchema(name, reference) : undefined;
    let reply: UpstreamReply;
    try {
      reply = await this.client.send({
        method: 'DELETE', url: `v2/${name}/manifests/${reference}`, scopes: [`repository:${name}:delete`], op: 'manifest', expect: [200, 202, 204],
      });
    } catch (err) {
      // distribution 2.8 only deletes by digest and calls a tag an invalid digest.
      if (!isDigestReference(reference) && isOciError(err) && err.code === 'DIGEST_INVALID') {
        throw new OciError('UNSUPPORTED', `backend ${this.name} cannot delete a tag; delete the manifest by digest`);
      }
      throw err;
    }
    await discard(reply.body);
    if (!subject) return;
    // The manifest is gone upstream: a stale index entry is logged, never a failed delete.
    await this.tagSchema.remove(name, subject, reference).catch((err: unknown) =>
      this.logger.warn({ repository: name, subject, err: isOciError(err) ? err.message : String(err) }, 'manifest deleted, but its referrers index could not be updated'),
    );
  }

  protected async requestManifest(method: 'GET' | 'HEAD', name: string, reference: string, accept: readonly string[]): Promise<UpstreamReply> {
    return this.client.send({
      method, url: `v2/${name}/manifests/${reference}`, scopes: [pull(name)], op: 'manifest', headers: { accept: acceptHeader(accept) }, expect: [200],
    });
  }

  /** PUTs manifest bytes as they are; the reply still has its headers (OCI-Subject). */
  protected async storeManifest(name: string, reference: string, bytes: Buffer, mediaType: string): Promise<UpstreamReply> {
    const reply = await this.client.send({
      method: 'PUT', url: `v2/${name}/manifests/${reference}`, scopes: [push(name)], op: 'manifest',
      headers: { 'content-type': mediaType }, body: bytes, expect: [200, 201, 202, 204],
    });
    await discard(reply.body);
    return reply;
  }

  private async fetchTagged(name: string, tag: string): Promise<Buffer | undefined> {
    try {
      const reply = await this.requestManifest('GET', name, tag, [MediaType.OCI_INDEX]);
      return (await readManifest(reply, tag, this.name)).bytes;
    } catch (err) {
      if (isOciError(err) && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined;
      throw err;
    }
  }

  private async subjectKeptInTagSchema(name: string, digest: string): Promise<string | undefined> {
    let manifest: ReadManifest;
    try {
      manifest = await readManifest(await this.requestManifest('GET', name, digest, MANIFEST_MEDIA_TYPES), digest, this.name);
    } catch (err) {
      if (isOciError(err) && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined; // the DELETE reports it
      throw err;
    }
    const subject = referencesOf(manifest.bytes)?.subject;
    if (!subject || !isVerifiableDigest(subject)) return undefined;
    return (await this.referrers.supported(name, subject)) ? undefined : subject;
  }

  // ---- blobs -------------------------------------------------------------------------------

  async statBlob(repo: string, digest: string): Promise<BlobMeta> {
    const name = this.upstreamName(repo);
    parseDigest(digest);
    return this.blobs.stat(name, digest);
  }

  async getBlob(repo: string, digest: string, range?: ByteRange): Promise<BlobBody> {
    const name = this.upstreamName(repo);
    parseDigest(digest);
    return this.blobs.get(name, digest, range ? `bytes=${range.start}-${range.end ?? ''}` : undefined, this.blobMode);
  }

  async deleteBlob(repo: string, digest: string): Promise<void> {
    const name = this.upstreamName(repo);
    parseDigest(digest);
    const reply = await this.client.send({
      method: 'DELETE', url: `v2/${name}/blobs/${digest}`, scopes: [`repository:${name}:delete`], op: 'blob', expect: [200, 202, 204],
    });
    await discard(reply.body);
  }

  // ---- uploads -----------------------------------------------------------------------------

  async startUpload(repo: string): Promise<UploadProgress> {
    const name = this.upstreamName(repo);
    return { handle: encodeHandle({ location: await this.uploads.open(name), size: 0 }), size: 0 };
  }

  async writeChunk(repo: string, handle: UploadHandle, chunk: ChunkInput): Promise<UploadProgress> {
    const name = this.upstreamName(repo);
    return this.uploads.patch(name, decodeHandle(handle, this.name), chunk);
  }

  async uploadStatus(repo: string, handle: UploadHandle): Promise<UploadProgress> {
    const name = this.upstreamName(repo);
    return this.uploads.status(name, decodeHandle(handle, this.name));
  }

  async finishUpload(repo: string, handle: UploadHandle, digest: string, chunk?: ChunkInput): Promise<void> {
    const name = this.upstreamName(repo);
    parseDigest(digest);
    await this.uploads.complete(name, decodeHandle(handle, this.name), digest, chunk);
  }

  async cancelUpload(repo: string, handle: UploadHandle): Promise<void> {
    const name = this.upstreamName(repo);
    await this.uploads.cancel(name, decodeHandle(handle, this.name).location);
  }

  /**
   * Monolithic upload as POST (open) + PATCH (bytes) + PUT (digest). A single `POST ?digest=` is
   * not universally supported, and an upstream that ignores it would have consumed the stream.
   */
  async putBlob(repo: string, digest: string, body: Readable, length?: number): Promise<void> {
    const name = this.upstreamName(repo);
    parseDigest(digest);
    const location = await this.uploads.open(name);
    await this.uploads.complete(name, { location, size: 0 }, digest, length === 0 ? undefined : { body, offset: 0, length });
  }

  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const name = this.upstreamName(repo);
    const from = this.upstreamName(fromRepo);
    parseDigest(digest);
    const url = `v2/${name}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const reply = await this.client.send({ method: 'POST', url, scopes: [push(name), pull(from)], op: 'upload', expect: [201, 202] });
    await discard(reply.body);
    if (reply.statusCode === 201) return true;
    // 202 = "not mounted" plus an upload session we will not use: release it.
    if (header(reply.headers, 'location')) {
      await this.uploads.cancel(name, uploadLocation(reply, this.name)).catch((err: unknown) =>
        this.logger.warn({ repository: name, err: isOciError(err) ? err.message : String(err) }, 'could not cancel the session of a refused mount'),
      );
    }
    return false;
  }

  // ---- listings ----------------------------------------------------------------------------

  async listTags(repo: string, page: PageRequest): Promise<Page> {
    const name = this.upstreamName(repo);
    const tags = await fetchAllPages(this.client, `v2/${name}/tags/list`, [pull(name)], 'tags', 'tags');
    return paginateSorted([...new Set(tags)].sort(compareNames), page);
  }

  async listReferrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; filtered: boolean }> {
    const name = this.upstreamName(repo);
    parseDigest(digest);
    const native = await this.referrers.list(name, digest, artifactType);
    if (native) return native;
    const all = await this.tagSchema.list(name, digest);
    return { manifests: filterReferrers(all, artifactType), filtered: artifactType !== undefined };
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async status(): Promise<BackendStatus> {
    return {
      name: this.name,
      type: this.type,
      url: this.client.baseUrl,
      blobMode: this.blobMode,
      referrers: this.referrers.mode,
      credentials: this.credentials?.state() ?? { state: 'none' },
      circuit: this.client.circuit.status(),
    };
  }

  async probe(): Promise<void> {
    await this.client.probe();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function isVerifiableDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}
