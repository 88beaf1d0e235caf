import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { OciError } from '#oci';
import type { BlobFlight } from './blob-flight';

const READ_BYTES = 1024 * 1024;

/**
 * A reader of a blob while it is being filled: reads what the file holds, waits for the flight
 * to say more arrived, and ends at `end` (exclusive). When the fill moves to another file (a new
 * holder after the old one died), it reopens that one and goes on from the same offset. Each
 * reader keeps its own pace; a slow one holds nobody else, because the disk is the buffer.
 */
export class FlightReader extends Readable {
  private file: FileHandle | undefined;
  private fileIno: number | undefined;
  private offset: number;
  private pumping = false;

  constructor(
    private readonly flight: BlobFlight,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: READ_BYTES });
    this.offset = start;
  }

  override _read(): void {
    if (!this.pumping) void this.pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const file = this.file;
    this.file = undefined;
    if (!file) return callback(error);
    file.close().then(() => callback(error), () => callback(error));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.destroyed) {
        const seen = this.flight.version;
        if (this.offset >= this.end) {
          // The transfer completes only once the blob is verified and in the cache.
          if (this.flight.error) throw this.flight.error;
          if (this.flight.complete) {
            this.push(null);
            return;
          }
          await this.flight.changedSince(seen);
          continue;
        }
        const bytes = await this.readSome();
        if (this.destroyed) return;
        if (bytes) {
          this.offset += bytes.length;
          if (!this.push(bytes)) return;
          continue;
        }
        if (this.flight.error) throw this.flight.error;
        // Complete and nothing changed while we read: the file we follow will not grow again.
        if (this.flight.complete && seen === this.flight.version) {
          throw new OciError('BLOB_UNKNOWN', `cached blob ended at ${this.offset} of ${this.end} bytes`, { status: 502 });
        }
        await this.flight.changedSince(seen);
      }
    } catch (err) {
      this.destroy(err as Error);
    } finally {
      this.pumping = false;
    }
  }

  /** Bytes at the current offset, or undefined when none are there yet. */
  private async readSome(): Promise<Buffer | undefined> {
    const source = this.flight.source;
    if (!source) return undefined;
    if (this.fileIno !== source.ino) {
      const previous = this.file;
      this.file = undefined;
      await previous?.close().catch(() => undefined);
      try {
        this.file = await open(source.path, 'r');
      } catch (err) {
        // Renamed or replaced since: the flight's next change names the file to follow.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      this.fileIno = (await this.file.stat()).ino;
    }
    const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, this.end - this.offset));
    const { bytesRead } = await this.file!.read(buffer, 0, buffer.length, this.offset);
    return bytesRead > 0 ? buffer.subarray(0, bytesRead) : undefined;
  }
}
