import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { OciError } from '#oci';
import type { BlobBody, ByteRange } from '#registry';

/**
 * Bytes per read of a cached blob. Every read is a fresh ArrayBuffer that only a collection
 * frees. At 64 KiB (Node's own default) the gateway's minor collections free them; from 256 KiB
 * on, V8 ran back-to-back full mark-compacts of the whole heap while a blob streamed (≈200 per
 * 6 × 128 MiB pulls, against 3), and a cache hit cost 3× the CPU of a bare static file server:
 * see `node dist/test/bench/blob-cache-bench.js`.
 */
export const CACHED_READ_BYTES = 64 * 1024;

/** A cached file, whole or the satisfiable part of `range` (RANGE_INVALID, 416, otherwise). */
export function serveCachedFile(file: FileHandle, size: number, range: ByteRange | undefined, release: () => void): BlobBody {
  if (range && (range.start >= size || (range.end !== undefined && range.end < range.start))) {
    throw new OciError('RANGE_INVALID', 'requested range not satisfiable', { headers: { 'content-range': `bytes */${size}` } });
  }
  const start = range?.start ?? 0;
  const end = Math.min(range?.end ?? size - 1, size - 1);
  // Through the FileHandle itself: a stream on its numeric fd failed with EBADF under the
  // gateway's frequent minor collections (the handle closed by GC). The handle is closed on 'close'.
  const stream = createReadStream('', { fd: file, start, end, highWaterMark: CACHED_READ_BYTES, autoClose: false });
  stream.once('close', () => {
    release();
    void file.close().catch(() => undefined);
  });
  return { kind: 'stream', stream, size, ...(range ? { range: { start, end } } : {}), cacheStatus: 'hit' };
}
