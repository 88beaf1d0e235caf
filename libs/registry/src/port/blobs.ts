import type { Readable } from 'node:stream';
import type { CacheAnnotated } from './cache-status';
import type { ServedByAnnotated } from './served-by';

/** An inclusive byte range as the `Range: bytes=start-end` header gives it. */
export interface ByteRange {
  start: number;
  /** Inclusive; absent means "to the end". */
  end?: number;
}

export interface BlobMeta extends CacheAnnotated, ServedByAnnotated {
  digest: string;
  size: number;
}

export type BlobBody = CacheAnnotated &
  ServedByAnnotated &
  (
  | {
      kind: 'stream';
      stream: Readable;
      /** Total size of the blob. */
      size: number;
      /** Set when the stream holds only a part: the inclusive range served. */
      range?: { start: number; end: number };
    }
  | {
      /** The bytes live elsewhere (presigned storage); the client may be sent there. */
      kind: 'redirect';
      location: string;
    }
  );

export interface BlobReader {
  statBlob(repo: string, digest: string): Promise<BlobMeta>;
  /** Throws RANGE_INVALID (416) when the range cannot be satisfied. */
  getBlob(repo: string, digest: string, range?: ByteRange): Promise<BlobBody>;
}

export interface BlobDeleter {
  deleteBlob(repo: string, digest: string): Promise<void>;
}
