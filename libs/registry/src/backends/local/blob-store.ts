import { createReadStream, createWriteStream, promises as fs, type Stats } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipelineCb } from 'node:stream';
import { DigestVerifier, OciError, digestOf, isOciError } from '#oci';
import { FileRangeStream, type ByteRange } from '../../port';
import { fsyncFile, isNotFound, readIfExists, removeFile, renameInto, statIfExists, writeFileAtomic } from './fs-util';
import type { StoreLayout } from './paths';


/** Larger reads than the 64 KiB default while a blob is verified: fewer syscalls and chunks. */
const READ_CHUNK = 1024 * 1024;
/**
 * A blob that gc saw as old and unreferenced may be about to be referenced again (a client
 * HEADs it, skips the upload and pushes a manifest). Refreshing its mtime on such uses keeps it
 * inside gc's grace window; refreshing at most this often keeps HEADs cheap.
 */
const TOUCH_AFTER_MS = 10 * 60 * 1000;

export interface BlobRead {
  stream: Readable;
  size: number;
  range?: { start: number; end: number };
}

/**
 * The content-addressed store shared by every repository: sha256 content under its digest,
 * written to a temp file, verified while streaming, fsync'd and renamed into place, so a
 * partial or corrupt blob is never visible under its digest.
 */
export class BlobStore {
  /** Digests whose file was hashed in this process; a hot blob is re-verified once per start. */
  private readonly verified = new Set<string>();

  constructor(private readonly layout: StoreLayout) {}

  /** The blob file's stats, or undefined when the store does not hold it. */
  async stat(hex: string): Promise<Stats | undefined> {
    const st = await statIfExists(this.layout.blobData(hex));
    return st?.isFile() ? st : undefined;
  }

  /** Streams `body` into the store; fails with DIGEST_INVALID/SIZE_INVALID leaving nothing behind. */
  async ingestStream(hex: string, body: Readable, length?: number): Promise<void> {
    const tmp = this.layout.tmpFile();
    try {
      await pipeline(body, new DigestVerifier(`sha256:${hex}`, length), createWriteStream(tmp, { flags: 'wx' }));
      await this.commit(tmp, hex);
    } catch (err) {
      await removeFile(tmp).catch(() => undefined);
      throw err;
    }
  }

  /** Moves a finished upload file into place once its content hashes to `hex`. */
  async ingestFile(file: string, hex: string): Promise<void> {
    await pipeline(createReadStream(file), new DigestVerifier(`sha256:${hex}`), discard());
    await this.commit(file, hex);
  }

  /** Stores small content already in memory (manifests); `hex` is the digest the caller computed of `bytes`. */
  async ingestBytes(hex: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.layout, this.layout.blobData(hex), bytes);
    this.verified.add(hex);
  }

  /**
   * Reads small content whole (manifests), hashed once per process like every blob: undefined
   * when absent, and when corrupt (the file is then removed, a later push heals it).
   */
  async readSmall(hex: string): Promise<Buffer | undefined> {
    const file = this.layout.blobData(hex);
    const bytes = await readIfExists(file);
    if (!bytes || this.verified.has(hex)) return bytes;
    if (digestOf(bytes) !== `sha256:${hex}`) {
      const st = await this.stat(hex);
      if (st) await this.quarantine(hex, st);
      return undefined;
    }
    this.verified.add(hex);
    return bytes;
  }

  /**
   * Renaming over an existing blob is fine: the content is identical (verified), readers that
   * opened the old file keep their inode, and the fresh mtime protects it from gc.
   */
  private async commit(file: string, hex: string): Promise<void> {
    // An upload's file keeps the mtime of its last chunk; gc's grace counts from now.
    const now = new Date();
    await fs.utimes(file, now, now);
    await fsyncFile(file);
    await renameInto(file, this.layout.blobData(hex));
    this.verified.add(hex);
  }

  /** Refreshes the blob's mtime so a running gc does not sweep a blob that is in use again. */
  async touch(hex: string, st: Stats): Promise<void> {
    if (Date.now() - st.mtimeMs < TOUCH_AFTER_MS) return;
    const now = new Date();
    await fs.utimes(this.layout.blobData(hex), now, now).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** Reads a blob or a range of it; undefined when it is absent. Corrupt content is removed. */
  async read(hex: string, range?: ByteRange): Promise<BlobRead | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.layout.blobData(hex), 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      const st = await handle.stat();
      if (range) {
        const served = resolveRange(range, st.size);
        if (!this.verified.has(hex)) await this.verifyWhole(handle, hex, st);
        return { stream: new FileRangeStream(handle, served.start, served.end), size: st.size, range: served };
      }
      // Verified: the HTTP layer can serve it through recycled buffers.
      if (this.verified.has(hex)) return { stream: new FileRangeStream(handle, 0, st.size - 1), size: st.size };
      return { stream: this.verifyingStream(handle, hex, st), size: st.size };
    } catch (err) {
      await handle.close();
      if (isOciError(err) && err.code === 'DIGEST_INVALID') return undefined;
      throw err;
    }
  }

  /** A range cannot be verified on its own, so the whole file is hashed first, once. */
  private async verifyWhole(handle: fs.FileHandle, hex: string, st: Stats): Promise<void> {
    try {
      await pipeline(handle.createReadStream({ start: 0, autoClose: false }), new DigestVerifier(`sha256:${hex}`, st.size), discard());
      this.verified.add(hex);
    } catch (err) {
      if (isVerificationFailure(err)) await this.quarantine(hex, st);
      throw err;
    }
  }

  /**
   * Hashes while serving: a mismatch can only be known at the end, so the stream then fails
   * (the client sees an aborted transfer, never a silently wrong blob) and the file is removed.
   */
  private verifyingStream(handle: fs.FileHandle, hex: string, st: Stats): Readable {
    const verifier = new DigestVerifier(`sha256:${hex}`, st.size, { holdLastChunk: true });
    verifier.once('finish', () => this.verified.add(hex));
    verifier.once('error', (err) => {
      if (isVerificationFailure(err)) void this.quarantine(hex, st).catch(() => undefined);
    });
    pipelineCb(handle.createReadStream({ highWaterMark: READ_CHUNK }), verifier, () => undefined);
    return verifier;
  }

  /** Removes a blob found corrupt, unless a fresh (verified) push replaced the file meanwhile. */
  private async quarantine(hex: string, seen: Stats): Promise<void> {
    this.verified.delete(hex);
    const current = await this.stat(hex);
    if (current && current.ino === seen.ino && current.dev === seen.dev) await removeFile(this.layout.blobData(hex));
  }

  /** Deletes a blob's content (gc); links to it then resolve to BLOB_UNKNOWN. */
  async remove(hex: string): Promise<void> {
    this.verified.delete(hex);
    await removeFile(this.layout.blobData(hex));
  }
}

function isVerificationFailure(err: unknown): boolean {
  return isOciError(err) && (err.code === 'DIGEST_INVALID' || err.code === 'SIZE_INVALID');
}

/** A sink for streams that are read only to be hashed. */
export function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

/** The inclusive range actually served, or RANGE_INVALID (416) when none can be. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  const { start, end } = range;
  const badEnd = end !== undefined && (!Number.isSafeInteger(end) || end < start);
  if (!Number.isSafeInteger(start) || start < 0 || start >= size || badEnd) {
    throw new OciError('RANGE_INVALID', `range ${start}-${end ?? ''} cannot be satisfied for a blob of ${size} bytes`, {
      headers: { 'Content-Range': `bytes */${size}` },
    });
  }
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}
