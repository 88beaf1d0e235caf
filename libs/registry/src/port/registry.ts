import type { BlobDeleter, BlobReader } from './blobs';
import type { CatalogLister, ReferrersLister, TagLister } from './listings';
import type { ManifestStore } from './manifests';
import type { BlobWriter } from './uploads';

/** What a backend reports about itself for health and admin views; never a secret. */
export interface BackendStatus {
  name: string;
  type: string;
  credentials?: { state: 'none' | 'valid' | 'error' | 'unknown'; validUntil?: string; lastError?: string };
  [key: string]: unknown;
}

/**
 * The Registry port: everything the gateway, the cache and replication may ask of a backend.
 * Decorators (cache, failover, metrics) implement it by wrapping another Registry.
 * `listRepositories` is optional: some upstreams (Docker Hub) have no catalog.
 */
export interface Registry
  extends ManifestStore, BlobReader, BlobDeleter, BlobWriter, TagLister, ReferrersLister, Partial<CatalogLister> {
  readonly name: string;
  /** `redirect` when blob GETs may hand presigned URLs to the client instead of bytes. */
  readonly blobMode: 'proxy' | 'redirect';
  status(): Promise<BackendStatus>;
  /**
   * Readiness: one cheap request showing the upstream answers (any answer short of a 5xx), or
   * rejects saying why. Absent for in-process backends, which are up while the process is.
   */
  probe?(): Promise<void>;
  /** Releases pools and timers at shutdown. */
  close(): Promise<void>;
}
