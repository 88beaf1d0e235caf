import type { FileHandle } from 'node:fs/promises';
import { OciError } from '#oci';
import { FileRangeStream, type BlobBody, type ByteRange } from '#registry';

/**
 * A cached file, whole or the satisfiable part of `range` (RANGE_INVALID, 416, otherwise), as a
 * FileRangeStream: the HTTP layer serves it through two recycled buffers. The file is closed and
 * `release` called when the stream closes.
 */
export function serveCachedFile(file: FileHandle, size: number, range: ByteRange | undefined, release: () => void): BlobBody {
  if (range && (range.start >= size || (range.end !== undefined && range.end < range.start))) {
    throw new OciError('RANGE_INVALID', 'requested range not satisfiable', { headers: { 'content-range': `bytes */${size}` } });
  }
  const start = range?.start ?? 0;
  const end = Math.min(range?.end ?? size - 1, size - 1);
  const stream = new FileRangeStream(file, start, end, release);
  return { kind: 'stream', stream, size, ...(range ? { range: { start, end } } : {}), cacheStatus: 'hit' };
}
