import { createHash, type Hash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { DigestVerifier, isOciError, OciError, parseDigest } from '#oci';
import type { Registry } from '#registry';
import type { CopyEnd, ResumeStore } from '../copy-contract';
import type { ProgressMeter } from './progress-meter';
import { openSourceBlob } from './source-blob-stream';

export type BlobOutcome = 'skipped' | 'mounted' | 'copied';

export interface BlobTransferOptions {
  source: CopyEnd;
  destination: CopyEnd;
  chunkThresholdBytes: number;
  chunkBytes: number;
  resume?: ResumeStore;
  signal?: AbortSignal;
  meter: ProgressMeter;
}

/**
 * Moves one blob from source to destination: nothing when the destination has it, a
 * cross-repository mount inside one backend, else a stream (verified on the way) in one piece or,
 * above the threshold, in chunks that a later attempt can continue from the destination's offset.
 */
export class BlobTransfer {
  constructor(private readonly options: BlobTransferOptions) {}

  async copy(digest: string, size: number): Promise<BlobOutcome> {
    const { source, destination, signal } = this.options;
    signal?.throwIfAborted();
    if (await exists(destination.registry, destination.repository, digest)) return 'skipped';
    if (source.registry === destination.registry && source.repository !== destination.repository
      && await destination.registry.mountBlob(destination.repository, digest, source.repository)) {
      return 'mounted';
    }
    if (size > this.options.chunkThresholdBytes) await this.copyInChunks(digest, size);
    else await this.copyWhole(digest, size);
    return 'copied';
  }

  private async copyWhole(digest: string, size: number): Promise<void> {
    const { source, destination, meter } = this.options;
    const stream = await openSourceBlob(source.registry, source.repository, digest);
    // Held last chunk: corrupt source bytes break the upload instead of completing it.
    const verified = chain(stream, new DigestVerifier(digest, size, { holdLastChunk: true }), new ByteCounter((n) => meter.bytes(n)));
    await sourceFailureFirst(verified, destination.registry.putBlob(destination.repository, digest, verified, size));
  }

  private async copyInChunks(digest: string, size: number): Promise<void> {
    const { destination, resume, signal, meter } = this.options;
    const { repository, registry } = destination;
    let { handle, offset } = await this.resumeOrStart(digest);
    // The destination verifies at the end too; hashing here proves the source before anything is committed.
    const hash = createHash(parseDigest(digest).algorithm);
    if (offset > 0) await this.hashPrefix(digest, offset, hash);
    meter.bytes(offset);
    while (offset < size) {
      signal?.throwIfAborted();
      const end = Math.min(offset + this.options.chunkBytes, size) - 1;
      const stream = await openSourceBlob(this.options.source.registry, this.options.source.repository, digest, { start: offset, end });
      const body = chain(stream, new HashingCounter(hash, (n) => meter.bytes(n)));
      const progress = await sourceFailureFirst(body, registry.writeChunk(repository, handle, { body, offset, length: end - offset + 1 }));
      ({ handle } = progress);
      // Saved before anything else: a chunk that broke off still left its bytes, and the next
      // attempt continues after them (distribution only answers to the session's newest state).
      await resume?.set({ digest, handle });
      if (progress.size !== end + 1) {
        throw body.errored ?? new OciError('BLOB_UPLOAD_INVALID', `the destination holds ${progress.size} bytes of ${digest} after a chunk ending at ${end + 1}`);
      }
      offset = progress.size;
    }
    const actual = `${parseDigest(digest).algorithm}:${hash.digest('hex')}`;
    if (actual !== digest) {
      await this.abandon(digest, handle);
      throw new OciError('DIGEST_INVALID', `source blob ${digest} hashes to ${actual}`);
    }
    try {
      await registry.finishUpload(repository, handle, digest);
    } finally {
      // Finished or refused, the session is over: a new attempt starts from byte 0.
      await resume?.delete(digest);
    }
  }

  /** The session a previous attempt left, at the offset the destination itself reports; else a new one. */
  private async resumeOrStart(digest: string): Promise<{ handle: string; offset: number }> {
    const { destination, resume } = this.options;
    const saved = await resume?.get(digest);
    if (saved) {
      try {
        const status = await destination.registry.uploadStatus(destination.repository, saved.handle);
        return { handle: status.handle, offset: status.size };
      } catch (err) {
        // Gone (expired, cancelled) or no longer addressable with this state (distribution answers
        // BLOB_UPLOAD_INVALID when the session moved on after the state was saved): start over.
        if (!isOciError(err) || !(err.code === 'BLOB_UPLOAD_UNKNOWN' || err.code === 'BLOB_UPLOAD_INVALID' || err.status === 404)) throw err;
        await destination.registry.cancelUpload(destination.repository, saved.handle).catch(() => undefined);
      }
    }
    const started = await destination.registry.startUpload(destination.repository);
    await resume?.set({ digest, handle: started.handle });
    return { handle: started.handle, offset: started.size };
  }

  /** Hashes what the destination already holds, as the source has it, so the whole blob is verified. */
  private async hashPrefix(digest: string, offset: number, hash: Hash): Promise<void> {
    const stream = await openSourceBlob(this.options.source.registry, this.options.source.repository, digest, { start: 0, end: offset - 1 });
    for await (const chunk of stream) hash.update(chunk as Buffer);
  }

  private async abandon(digest: string, handle: string): Promise<void> {
    await this.options.destination.registry.cancelUpload(this.options.destination.repository, handle).catch(() => undefined);
    await this.options.resume?.delete(digest);
  }
}

async function exists(registry: Registry, repository: string, digest: string): Promise<boolean> {
  try {
    await registry.statBlob(repository, digest);
    return true;
  } catch (err) {
    if (isOciError(err) && (err.code === 'BLOB_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return false;
    throw err;
  }
}

/**
 * Source → transforms as one stream whose failure (a source that breaks off, a digest that does
 * not match) reaches whoever reads the end, which is the upload: it then fails instead of completing.
 */
function chain(source: Readable, ...transforms: [Transform, ...Transform[]]): Readable {
  // Nothing flows until the upload reads: a small corrupt blob would otherwise fail before the
  // backend, still opening its session, listens for the failure, and the upload would wait forever.
  return startedOnRead(() => pipeline(source, ...transforms, () => undefined) as unknown as Readable);
}

/**
 * The upload's outcome, except that when the source side failed (a digest mismatch, a source
 * that broke off) that failure is the one reported: the destination only saw a body that ended.
 */
async function sourceFailureFirst<T>(body: Readable, upload: Promise<T>): Promise<T> {
  try {
    return await upload;
  } catch (err) {
    throw body.errored ?? err;
  }
}

/** A stream that builds `open()` on its first read and relays it with backpressure. */
function startedOnRead(open: () => Readable): Readable {
  let inner: Readable | undefined;
  const outer = new Readable({
    read() {
      if (inner) {
        inner.resume();
        return;
      }
      inner = open();
      inner.on('data', (chunk: Buffer) => {
        if (!outer.push(chunk)) inner?.pause();
      });
      inner.once('end', () => outer.push(null));
      inner.once('error', (err) => outer.destroy(err));
    },
    destroy(err, callback) {
      inner?.destroy(err ?? undefined);
      callback(err);
    },
  });
  return outer;
}

/** Counts bytes on their way through. */
class ByteCounter extends Transform {
  constructor(private readonly count: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count(chunk.length);
    callback(null, chunk);
  }
}

/** Counts and hashes bytes on their way through (one hash across every chunk of a blob). */
class HashingCounter extends Transform {
  constructor(
    private readonly hash: Hash,
    private readonly count: (n: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.count(chunk.length);
    callback(null, chunk);
  }
}
