import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OciError } from './errors';

const ALGORITHMS: Record<string, { node: string; hexLength: number }> = {
  sha256: { node: 'sha256', hexLength: 64 },
  sha512: { node: 'sha512', hexLength: 128 },
};
const DIGEST_SHAPE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: string;
  hex: string;
}

/** True when `value` has the digest grammar of the spec (any algorithm). */
export function looksLikeDigest(value: string): boolean {
  return DIGEST_SHAPE.test(value);
}

/** Parses a digest Gantry can verify; anything else is DIGEST_INVALID. */
export function parseDigest(value: string): ParsedDigest {
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  const spec = ALGORITHMS[algorithm];
  if (colon < 0 || !DIGEST_SHAPE.test(value)) {
    throw new OciError('DIGEST_INVALID', `invalid digest: ${value.slice(0, 200)}`);
  }
  if (!spec) throw new OciError('DIGEST_INVALID', `unsupported digest algorithm: ${algorithm}`);
  if (hex.length !== spec.hexLength || !/^[a-f0-9]+$/.test(hex)) {
    throw new OciError('DIGEST_INVALID', `invalid ${algorithm} digest: ${value.slice(0, 200)}`);
  }
  return { algorithm, hex };
}

export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(ALGORITHMS[algorithm]?.node ?? algorithm).update(bytes).digest('hex')}`;
}

export interface DigestVerifierOptions {
  /**
   * Hold the last chunk back until the digest is proven. A reader that is promised N bytes
   * (Content-Length) then never gets all of them from corrupt content: the transfer breaks
   * instead of completing with wrong bytes.
   */
  holdLastChunk?: boolean;
}

/**
 * A pass-through stream that hashes what flows through it and, at the end, fails with
 * DIGEST_INVALID (or SIZE_INVALID) when the content is not what was promised.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: string;
  private bytes = 0;
  private held: Buffer | undefined;

  constructor(
    private readonly expected: string,
    private readonly expectedSize?: number,
    private readonly options: DigestVerifierOptions = {},
  ) {
    super();
    this.algorithm = parseDigest(expected).algorithm;
    this.hash = createHash(this.algorithm);
  }

  get bytesSeen(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (!this.options.holdLastChunk) {
      callback(null, chunk);
      return;
    }
    const previous = this.held;
    this.held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      callback(new OciError('SIZE_INVALID', `expected ${this.expectedSize} bytes, got ${this.bytes}`));
      return;
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      callback(new OciError('DIGEST_INVALID', `digest mismatch: expected ${this.expected}, computed ${actual}`));
      return;
    }
    callback(null, this.held);
  }
}
