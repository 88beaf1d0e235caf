import { createHash } from 'node:crypto';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { OciError, parseDigest } from '#oci';
import type { BlobBody } from '#registry';
import type { Lease, LockService } from '../lock-service';
import type { DiskBlobCache } from './disk-blob-cache';

export interface FlightOptions {
  /** How long a fill's lock lives without renewal: the longest a dead holder blocks the others. */
  leaseMs: number;
  /** How often a waiter looks at the files another replica writes. */
  pollMs: number;
  logger?: Logger;
}

/** The file readers follow: a temp file that grows, then (same inode) the cached blob. */
export interface FlightSource {
  path: string;
  ino: number;
}

/**
 * One blob being brought into the cache, shared by every reader of this process. Cluster-wide,
 * one replica holds the fill lock (fencing token in the temp file's name) and fetches the
 * upstream into the temp file at the disk's pace; everyone else polls the shared directory and
 * follows that file. When the holder dies its lease runs out, a waiter takes the lock and starts
 * a new temp file, and readers continue at their offset in it.
 */
export class BlobFlight {
  source: FlightSource | undefined;
  complete = false;
  error: Error | undefined;
  /** Grows with every change readers may care about (bytes written, new source, end). */
  version = 0;
  readonly size: Promise<number>;
  private resolveSize!: (size: number) => void;
  private rejectSize!: (err: Error) => void;
  private waiters: (() => void)[] = [];
  private static localTokens = 0;

  constructor(
    readonly digest: string,
    private readonly cache: DiskBlobCache,
    private readonly locks: LockService,
    private readonly fetchUpstream: () => Promise<BlobBody>,
    private readonly options: FlightOptions,
  ) {
    this.size = new Promise<number>((resolve, reject) => {
      this.resolveSize = resolve;
      this.rejectSize = reject;
    });
    this.size.catch(() => undefined); // read through `error` by readers; never unhandled
  }

  get settled(): boolean {
    return this.complete || this.error !== undefined;
  }

  /** Resolves once `version` has moved past `seen` (at once when it already has). */
  changedSince(seen: number): Promise<void> {
    if (this.version !== seen || this.settled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs until the blob is cached or the fill failed; never throws. */
  async run(): Promise<void> {
    const lockEvery = Math.max(1, Math.round(this.options.leaseMs / 4 / this.options.pollMs));
    try {
      for (let tick = 0; !this.settled; tick++) {
        if (await this.adoptCached()) return;
        if (tick % lockEvery === 0) {
          const lease = await this.acquire();
          if (lease !== undefined) {
            await this.fill(lease);
            return;
          }
        }
        await this.followOthers();
        await sleep(this.options.pollMs);
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private changed(): void {
    this.version++;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.error = err;
    this.rejectSize(err);
    this.changed();
  }

  /** The blob is in place (this fill or another replica's): readers finish from that file. */
  private async adoptCached(): Promise<boolean> {
    const path = this.cache.contentPath(this.digest);
    const found = await stat(path).catch(() => undefined);
    if (!found) return false;
    await this.cache.sizeOf(this.digest);
    if (this.source?.ino !== found.ino) this.source = { path, ino: found.ino };
    this.resolveSize(found.size);
    this.complete = true;
    this.changed();
    return true;
  }

  /** A lease, null when Redis is unreachable (fill without one: degraded, never failing), or undefined when held elsewhere. */
  private async acquire(): Promise<Lease | null | undefined> {
    try {
      return await this.locks.tryAcquire(`blob-fill:${this.digest}`, this.options.leaseMs);
    } catch (err) {
      this.options.logger?.warn({ digest: this.digest, err: (err as Error).message }, 'blob cache: fill lock unavailable, fetching without it');
      return null;
    }
  }

  /** Follows the newest temp file another replica writes. */
  private async followOthers(): Promise<void> {
    const [newest] = await this.cache.tempsOf(this.digest);
    if (!newest) return;
    const found = await stat(newest.path).catch(() => undefined);
    if (!found) return;
    this.resolveSize(newest.size);
    if (this.source?.ino !== found.ino) this.source = { path: newest.path, ino: found.ino };
    this.changed();
  }

  private async fill(lease: Lease | null): Promise<void> {
    const token = lease ? String(lease.token) : `local${process.pid}x${++BlobFlight.localTokens}`;
    const renewal = lease ? this.keepRenewing(lease) : undefined;
    let file: FileHandle | undefined;
    let temp: string | undefined;
    try {
      // The previous holder may have finished just before its lock went free.
      if (await this.adoptCached()) return;
      const body = await this.fetchUpstream();
      if (body.kind !== 'stream') throw new OciError('UNAVAILABLE', 'the backend redirected a blob the cache must fetch', { status: 502 });
      for (const abandoned of await this.cache.tempsOf(this.digest)) await unlink(abandoned.path).catch(() => undefined);
      temp = this.cache.tempPath(this.digest, token, body.size);
      file = await open(temp, 'wx');
      this.source = { path: temp, ino: (await file.stat()).ino };
      this.resolveSize(body.size);
      this.changed();
      await this.copyVerified(body.stream, file, body.size);
      await file.sync();
      await file.close();
      file = undefined;
      const path = await this.cache.commit(this.digest, temp, body.size);
      this.source = { path, ino: this.source.ino };
      this.complete = true;
      this.changed();
      this.options.logger?.info({ digest: this.digest, size: body.size, fence: token }, 'blob cache: filled');
    } catch (err) {
      await file?.close().catch(() => undefined);
      if (temp) await unlink(temp).catch(() => undefined);
      // A holder that stalled past its lease may find its temp file gone and the blob cached by
      // the replica that took over: its readers finish from that copy.
      if (await this.adoptCached().catch(() => false)) return;
      this.options.logger?.warn({ digest: this.digest, err: (err as Error).message }, 'blob cache: fill failed, nothing cached');
      this.fail(err as Error);
    } finally {
      if (renewal) clearInterval(renewal);
      await lease?.release().catch(() => undefined);
    }
  }

  /** Upstream bytes into the file at the disk's pace, hashed on the way; wrong bytes throw. */
  private async copyVerified(stream: NodeJS.ReadableStream & AsyncIterable<Buffer>, file: FileHandle, size: number): Promise<void> {
    const { algorithm } = parseDigest(this.digest);
    const hash = createHash(algorithm);
    let written = 0;
    for await (const chunk of stream) {
      hash.update(chunk);
      await file.write(chunk, 0, chunk.length, written);
      written += chunk.length;
      this.changed();
    }
    if (written !== size) throw new OciError('SIZE_INVALID', `upstream sent ${written} bytes, expected ${size}`, { status: 502 });
    const actual = `${algorithm}:${hash.digest('hex')}`;
    if (actual !== this.digest) throw new OciError('DIGEST_INVALID', `upstream content has digest ${actual}, expected ${this.digest}`, { status: 502 });
  }

  /** Renews well inside the lease; a renewal refused means another replica took over (the fencing token keeps our files apart). */
  private keepRenewing(lease: Lease): NodeJS.Timeout {
    const timer = setInterval(() => {
      lease.renew().then(
        (held) => held || this.options.logger?.warn({ digest: this.digest, fence: lease.token }, 'blob cache: fill lease lost'),
        () => undefined,
      );
    }, Math.max(50, Math.floor(this.options.leaseMs / 3)));
    timer.unref();
    return timer;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
