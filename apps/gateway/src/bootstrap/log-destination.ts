import { write, writeSync } from 'node:fs';

export interface LogDestinationOptions {
  /** Size of each of the two batch buffers. */
  bufferBytes?: number;
  /** Lines waiting beyond a full buffer while a write is in flight; past this, lines are dropped and counted. */
  maxPendingBytes?: number;
  /** Told how many lines were dropped, once the descriptor has caught up (to log it). */
  onDropped?: (count: number) => void;
}

const RETRY_MS = 10;
/** A blocking flush waits this long in all for a full pipe to take bytes, then gives up. */
const SYNC_PATIENCE_MS = 2_000;

/**
 * Where pino's lines go: a file descriptor (stdout), written asynchronously in batches through
 * two reused buffers. Lines are encoded straight into the buffer being filled while the other
 * one is written, so logging allocates nothing per line. (pino's default, sonic-boom, turns
 * every written string into a fresh Buffer; under a cached-manifest load those buffers outlived
 * the young generation and piled up in the old one: peak RSS 168 MiB against 136 without them.)
 * Lines keep their order; a line longer than a buffer is written on its own.
 */
export class LogDestination {
  private active: Buffer;
  private spare: Buffer;
  private used = 0;
  private writing = false;
  private scheduled = false;
  private broken = false;
  /** Lines that did not fit while a write was in flight, in order. */
  private pending: string[] = [];
  private pendingBytes = 0;
  private readonly bufferBytes: number;
  private readonly maxPendingBytes: number;
  /** Lines dropped because the descriptor could not keep up (or failed for good). */
  dropped = 0;
  private unreported = 0;
  private readonly onDropped: ((count: number) => void) | undefined;

  constructor(
    private readonly fd: number,
    options: LogDestinationOptions = {},
  ) {
    this.bufferBytes = options.bufferBytes ?? 64 * 1024;
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.onDropped = options.onDropped;
    this.active = Buffer.allocUnsafe(this.bufferBytes);
    this.spare = Buffer.allocUnsafe(this.bufferBytes);
  }

  write(line: string): void {
    if (this.broken) {
      this.dropped++;
      return;
    }
    if (this.pending.length > 0 || !this.append(line)) {
      if (this.pendingBytes + line.length > this.maxPendingBytes) {
        this.dropped++;
        this.unreported++;
        return;
      }
      this.pending.push(line);
      this.pendingBytes += line.length;
    }
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Writes what is buffered and pending now, blocking: for the last lines before the process exits.
   * A batch already handed to the kernel is not written again (it was, or it is lost with the process).
   */
  flushSync(): void {
    if (this.broken) return;
    this.drainPending();
    try {
      this.writeAllSync(this.active.subarray(0, this.used));
      this.used = 0;
      for (const line of this.pending) this.writeAllSync(Buffer.from(line));
    } catch {
      this.broken = true;
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Encodes `line` into the buffer being filled; false when it does not fit. */
  private append(line: string): boolean {
    const room = this.active.length - this.used;
    // UTF-8 needs at most 3 bytes per UTF-16 unit: most lines need no exact count.
    if (line.length * 3 > room && Buffer.byteLength(line) > room) return false;
    this.used += this.active.write(line, this.used);
    return true;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writing || this.broken) return;
    this.drainPending();
    if (this.used === 0) return;
    const batch = this.active;
    const length = this.used;
    this.active = this.spare;
    this.spare = batch;
    this.used = 0;
    this.writing = true;
    this.drainPending();
    this.writeAll(batch, 0, length);
  }

  /** Moves pending lines into the buffer being filled while they fit; one too long for any buffer gets its own. */
  private drainPending(): void {
    while (this.pending.length > 0) {
      const line = this.pending[0]!;
      if (!this.append(line)) {
        if (this.used > 0) return;
        // Longer than a whole buffer: it becomes the batch (the standard buffer comes back after).
        this.active = Buffer.from(line);
        this.used = this.active.length;
      }
      this.pending.shift();
      this.pendingBytes -= line.length;
      if (this.active.length !== this.bufferBytes) return;
    }
  }

  private writeAll(batch: Buffer, offset: number, length: number): void {
    write(this.fd, batch, offset, length, null, (err, written) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EBUSY') {
          setTimeout(() => this.writeAll(batch, offset, length), RETRY_MS);
          return;
        }
        // Nowhere to log that logging failed: what could not be written is counted as dropped.
        this.broken = true;
        this.dropped += this.pending.length;
        this.pending = [];
        return;
      }
      if (written < length) {
        this.writeAll(batch, offset + written, length - written);
        return;
      }
      this.writing = false;
      if (batch.length !== this.bufferBytes) this.spare = Buffer.allocUnsafe(this.bufferBytes);
      if (this.unreported > 0 && this.pending.length === 0) {
        const count = this.unreported;
        this.unreported = 0;
        this.onDropped?.(count);
      }
      if (this.used > 0 || this.pending.length > 0) this.flush();
    });
  }

  private writeAllSync(bytes: Buffer): void {
    let offset = 0;
    let waited = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || waited >= SYNC_PATIENCE_MS) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        waited++;
      }
    }
  }
}
