import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * A large blob that never sits in memory whole: one random 1 MiB chunk repeated. Its digest is
 * computed once; `stream()` produces the bytes again for every push.
 */
export class SyntheticBlob {
  readonly digest: string;
  private readonly chunk = randomBytes(1024 * 1024);

  constructor(readonly size: number) {
    const hash = createHash('sha256');
    for (const piece of this.pieces()) hash.update(piece);
    this.digest = `sha256:${hash.digest('hex')}`;
  }

  stream(): Readable {
    return Readable.from(this.pieces(), { objectMode: false });
  }

  private *pieces(): Generator<Buffer> {
    for (let offset = 0; offset < this.size; offset += this.chunk.length) {
      yield this.chunk.subarray(0, Math.min(this.chunk.length, this.size - offset));
    }
  }
}
