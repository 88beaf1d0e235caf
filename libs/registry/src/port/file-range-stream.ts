import type { FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** Bytes per read of the recycled writer: few reads (each a thread-pool hop), two buffers per transfer at most. */
export const RECYCLED_CHUNK_BYTES = 256 * 1024;
/** Bytes per read for ordinary consumers, each a fresh buffer: Node's own default. */
const FRESH_CHUNK_BYTES = 64 * 1024;

/**
 * An inclusive byte range of an open file. Any consumer may read it as a stream (each chunk a
 * fresh buffer, as `createReadStream` gives). The HTTP layer instead calls `writeRecycled`,
 * which streams the range through two buffers reused for the whole transfer: a stream of fresh
 * 64 KiB buffers leaves garbage that only a collection frees, so served bytes turn into
 * collections (V8 counts that memory against the old generation and, on the gateway's small
 * heap, ran a full mark-compact every ~10 MiB in some runs) and resident memory.
 *
 * The file is the stream's: it is closed (and `onClose` called) when the stream closes.
 */
export class FileRangeStream extends Readable {
  private position: number;
  private claimed = false;

  constructor(
    private readonly file: FileHandle,
    start: number,
    private readonly end: number,
    private readonly onClose: () => void = () => undefined,
  ) {
    super({ highWaterMark: FRESH_CHUNK_BYTES });
    this.position = start;
  }

  /** Bytes still to come. */
  get remaining(): number {
    return this.end - this.position + 1;
  }

  override _read(): void {
    this.claimed = true;
    const want = Math.min(FRESH_CHUNK_BYTES, this.remaining);
    if (want <= 0) {
      this.push(null);
      return;
    }
    this.readInto(Buffer.allocUnsafe(want)).then(
      (chunk) => this.push(chunk),
      (err: unknown) => this.destroy(err as Error),
    );
  }

  /**
   * Writes the rest of the range into `dest` and closes the stream. A buffer is read into again
   * only after `dest` called back for its last write (the bytes left the process, or `dest`
   * failed), so at most two chunks are in flight and none is ever copied. Rejects, closing this
   * stream without an 'error' event, if the file fails or `dest` closes first; `dest` itself is
   * left to the caller.
   */
  async writeRecycled(dest: Writable): Promise<void> {
    if (this.claimed) throw new Error('writeRecycled: the stream is already being read');
    this.claimed = true;
    // A small blob (a config, a signature) needs one buffer of its own size, not two whole ones.
    const size = Math.min(RECYCLED_CHUNK_BYTES, this.remaining);
    const buffers: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
    const inFlight: [Promise<void> | undefined, Promise<void> | undefined] = [undefined, undefined];
    const gone = closedEarly(dest);
    try {
      for (let slot: 0 | 1 = 0; this.remaining > 0; slot = slot === 0 ? 1 : 0) {
        if (inFlight[slot]) await Promise.race([inFlight[slot], gone.promise]);
        const buffer = (buffers[slot] ??= takeBuffer(size));
        const chunk = await this.readInto(buffer.subarray(0, Math.min(size, this.remaining)));
        if (gone.closed) throw gone.error();
        const written = writeChunk(dest, chunk);
        // An unobserved rejection must not crash the process while the other slot is awaited.
        written.catch(() => undefined);
        inFlight[slot] = written;
      }
      await Promise.race([Promise.all(inFlight), gone.promise]);
      // Every write called back: nothing refers to the buffers any more.
      for (const buffer of buffers) if (buffer) giveBuffer(buffer);
      this.destroy();
    } catch (err) {
      // The error is the caller's (the rejection); an 'error' event here would have no listener.
      // The buffers are left to the collector: a write that never called back may still hold one.
      this.destroy();
      throw err;
    } finally {
      gone.dispose();
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.onClose();
    this.file.close().then(
      () => callback(err),
      () => callback(err),
    );
  }

  private async readInto(buffer: Buffer): Promise<Buffer> {
    const { bytesRead } = await this.file.read(buffer, 0, buffer.length, this.position);
    if (bytesRead === 0) throw new Error(`file ended ${this.remaining} bytes before the range did`);
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }
}

/**
 * Whole-size buffers of finished transfers, for the next ones: a steady stream of pulls then
 * allocates none. Bounded, so a burst of parallel transfers does not stay resident after it.
 */
const spareBuffers: Buffer[] = [];
export const SPARE_BUFFERS_KEPT = 32;

function takeBuffer(size: number): Buffer {
  return (size === RECYCLED_CHUNK_BYTES ? spareBuffers.pop() : undefined) ?? Buffer.allocUnsafeSlow(size);
}

function giveBuffer(buffer: Buffer): void {
  if (buffer.length === RECYCLED_CHUNK_BYTES && spareBuffers.length < SPARE_BUFFERS_KEPT) spareBuffers.push(buffer);
}

/** How many whole-size buffers wait for the next transfer (for specs). */
export function spareBufferCount(): number {
  return spareBuffers.length;
}

function writeChunk(dest: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    dest.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/** Settles (rejecting) when `dest` closes before the transfer is done; a socket's pending writes are cancelled by then. */
function closedEarly(dest: Writable): { promise: Promise<never>; closed: boolean; error(): Error; dispose(): void } {
  const error = (): Error => new Error('the destination closed before the range was written');
  let reject: (err: Error) => void = () => undefined;
  const promise = new Promise<never>((_, rej) => (reject = rej));
  promise.catch(() => undefined);
  const state = {
    promise,
    closed: dest.destroyed,
    error,
    dispose: () => dest.removeListener('close', onClose),
  };
  const onClose = (): void => {
    state.closed = true;
    reject(error());
  };
  if (state.closed) reject(error());
  else dest.once('close', onClose);
  return state;
}
