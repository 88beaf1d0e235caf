import type { Readable } from 'node:stream';

/**
 * The backend's own state for an upload session, opaque to the gateway and JSON-safe: the
 * gateway persists it in its session store so any replica can continue the upload.
 */
export type UploadHandle = string;

export interface ChunkInput {
  body: Readable;
  /** Offset of the first byte of this chunk in the blob. */
  offset: number;
  /** Content-Length when the client sent one. */
  length?: number;
}

export interface UploadProgress {
  handle: UploadHandle;
  /** Bytes the backend holds for the session after this call. */
  size: number;
}

export interface BlobWriter {
  /** Cross-repository mount inside this backend; false means "not mounted, upload instead". */
  mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean>;
  /** Monolithic upload of a whole blob whose digest is known in advance. */
  putBlob(repo: string, digest: string, body: Readable, length?: number): Promise<void>;
  startUpload(repo: string): Promise<UploadProgress>;
  /**
   * Appends a chunk. A body that ends early (the client went away) may leave some of its bytes
   * stored: after a failed call, `uploadStatus` tells where the session really stands.
   */
  writeChunk(repo: string, handle: UploadHandle, chunk: ChunkInput): Promise<UploadProgress>;
  /** Where the session stands, asked of the backend itself (BLOB_UPLOAD_UNKNOWN when it is gone). */
  uploadStatus(repo: string, handle: UploadHandle): Promise<UploadProgress>;
  /** Completes the upload, with an optional last chunk; verifies `digest`. */
  finishUpload(repo: string, handle: UploadHandle, digest: string, chunk?: ChunkInput): Promise<void>;
  cancelUpload(repo: string, handle: UploadHandle): Promise<void>;
}
