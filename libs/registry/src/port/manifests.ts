import type { Descriptor } from '#oci';
import type { CacheAnnotated } from './cache-status';
import type { ServedByAnnotated } from './served-by';

/** A manifest exactly as stored: bytes are never re-serialised. */
export interface ManifestContent extends CacheAnnotated, ServedByAnnotated {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  /** Upstream headers the client should see too (Docker Hub's `ratelimit-*`). */
  upstreamHeaders?: Record<string, string>;
}

export interface ManifestMeta extends CacheAnnotated, ServedByAnnotated {
  mediaType: string;
  digest: string;
  size: number;
  upstreamHeaders?: Record<string, string>;
}

export interface PutManifestResult {
  digest: string;
  /** The subject digest when the store indexed the manifest as a referrer (the `OCI-Subject` header). */
  subject?: string;
}

export interface ManifestStore {
  /** `reference` is a tag or a digest; `accept` is the client's Accept list, passed upstream. */
  getManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestContent>;
  statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta>;
  /**
   * `reference` is a tag or the manifest's own digest. Every backend validates the bytes itself
   * (`parseManifest`) and takes the subject from them; `subject` is the caller's parse, a hint only.
   */
  putManifest(repo: string, reference: string, manifest: ManifestContent, subject?: Descriptor): Promise<PutManifestResult>;
  /** Deletes a manifest by digest, or untags when `reference` is a tag. */
  deleteManifest(repo: string, reference: string): Promise<void>;
}
