import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { DigestVerifier, OciError } from '#oci';
import type { BlobBody, ByteRange } from '#registry';

type StreamBody = Extract<BlobBody, { kind: 'stream' }>;

/**
 * A replica's whole blob, hashed while it streams. The last chunk is held until the digest is
 * proven, so a client promised N bytes never receives all of them from a replica whose bytes
 * are wrong: the transfer breaks instead. `onMismatch` hears about it once.
 */
export function verifiedBlob(body: StreamBody, digest: string, onMismatch: (err: Error) => void): StreamBody {
  const verifier = new ReplicaVerifier(digest, body.size, true, onMismatch);
  pipeline(body.stream, verifier, () => {});
  return { kind: 'stream', stream: verifier, size: body.size };
}

/**
 * A part of a replica's blob. A part cannot be checked against the digest, so the replica is read
 * whole and hashed, the part is cut out, and its last piece is held until the whole is proven:
 * a resumed pull costs a full read of the blob from the replica, never unverified bytes.
 */
export function verifiedBlobRange(body: StreamBody, digest: string, range: ByteRange, onMismatch: (err: Error) => void): StreamBody {
  const { size } = body;
  if (range.start >= size) {
    body.stream.destroy();
    throw new OciError('RANGE_INVALID', 'requested range not satisfiable', { headers: { 'content-range': `bytes */${size}` } });
  }
  const end = Math.min(range.end ?? size - 1, size - 1);
  const slice = new HeldSlice(range.start, end);
  pipeline(body.stream, new ReplicaVerifier(digest, size, false, onMismatch), slice, () => {});
  return { kind: 'stream', stream: slice, size, range: { start: range.start, end } };
}

/**
 * Bytes that are not the digest are the replica's fault, not the client's: the client sees 502
 * UNAVAILABLE (or, once the body started, a broken transfer), never DIGEST_INVALID's 400.
 */
class ReplicaVerifier extends DigestVerifier {
  constructor(
    private readonly digest: string,
    size: number,
    holdLastChunk: boolean,
    private readonly onMismatch: (err: Error) => void,
  ) {
    super(digest, size, { holdLastChunk });
  }

  override _flush(callback: TransformCallback): void {
    super._flush((err, data) => {
      if (!err) {
        callback(null, data);
        return;
      }
      this.onMismatch(err);
      callback(new OciError('UNAVAILABLE', `a replica served bytes that are not ${this.digest}`, { status: 502 }));
    });
  }
}

/** Passes bytes `first..last` (inclusive) of what flows through, holding its last piece until the input ends cleanly. */
class HeldSlice extends Transform {
  private offset = 0;
  private held: Buffer | undefined;

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const from = Math.max(this.first - this.offset, 0);
    const to = Math.min(this.last + 1 - this.offset, chunk.length);
    this.offset += chunk.length;
    if (to <= from) {
      callback();
      return;
    }
    const previous = this.held;
    this.held = chunk.subarray(from, to);
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.held);
  }
}
