import type { Registry } from '#registry';

/** One end of a copy: a backend's Registry and a repository as that backend names it. */
export interface CopyEnd {
  registry: Registry;
  repository: string;
}

/** Where a copy stands, reported while it runs (job progress, the dashboard). */
export interface CopyProgress {
  blobsDone: number;
  blobsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  manifestsDone: number;
  manifestsTotal: number;
}

export interface CopyResult {
  /** The digest of the top manifest copied (an index or an image). */
  digest: string;
  manifests: number;
  referrers: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  bytesCopied: number;
}

/**
 * Where a chunked layer upload stands, kept between attempts so that a copy that died mid-layer
 * (worker killed) continues at the destination's offset instead of byte 0.
 */
export interface ResumeState {
  digest: string;
  /** The destination's UploadHandle (opaque, JSON-safe). */
  handle: string;
}

/** Keeps ResumeState per blob across attempts (job data, Redis). */
export interface ResumeStore {
  get(digest: string): Promise<ResumeState | undefined>;
  set(state: ResumeState): Promise<void>;
  delete(digest: string): Promise<void>;
}

export interface CopyRequest {
  source: CopyEnd;
  /** A tag or a digest in the source repository. */
  reference: string;
  destination: CopyEnd;
  /** The tag to set at the destination, last, once everything it points at is there; absent for a digest-only copy. */
  tag?: string;
  chunkThresholdBytes: number;
  chunkBytes: number;
  blobConcurrency: number;
  /** Whether the destination needs its repository created first (ECR) is the backend's business: putManifest/startUpload do it. */
  signal?: AbortSignal;
  resume?: ResumeStore;
  onProgress?: (progress: CopyProgress) => void;
}

/** Copies an image (index → manifests → blobs → referrers) from one Registry to another. */
export interface ImageCopier {
  copy(request: CopyRequest): Promise<CopyResult>;
}
