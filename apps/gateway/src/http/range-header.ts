import { OciError } from '#oci';
import type { ByteRange } from '#registry';

/**
 * Parses a single `Range: bytes=a-b` (or `a-`). Anything else is ignored as RFC 9110 allows;
 * suffix ranges (`-n`) need the size, so they come back as `suffix`.
 */
export function parseRangeHeader(value: string | undefined): ByteRange | { suffix: number } | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m) return undefined;
  const [, start, end] = m;
  if (start === '' && end === '') return undefined;
  if (start === '') return { suffix: Number(end) };
  const range: ByteRange = { start: Number(start) };
  if (end !== '') {
    range.end = Number(end);
    if (range.end < range.start) throw new OciError('RANGE_INVALID', `invalid range ${value}`);
  }
  return range;
}

/** A chunk's `Content-Range: <start>-<end>` as distribution's clients send it (no `bytes=`). */
export function parseContentRange(value: string | undefined): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim());
  if (!m) throw new OciError('RANGE_INVALID', `invalid Content-Range ${value.slice(0, 100)}`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new OciError('RANGE_INVALID', `invalid Content-Range ${value}`);
  return { start, end };
}
