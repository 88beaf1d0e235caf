import { mkdir, open, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseDigest } from '#oci';

/** A cached blob opened for reading; `release()` once the reader is done (it may be evicted then). */
export interface OpenBlob {
  file: FileHandle;
  size: number;
  release(): void;
}

/** A partial fill in the temp directory: `<algorithm>-<hex>.<token>.<size>`. */
export interface TempFile {
  path: string;
  token: string;
  size: number;
  mtimeMs: number;
}

interface Entry {
  size: number;
  lastAccess: number;
  readers: number;
}

/** Last-access times reach the file's mtime at most this often (the index in memory is exact). */
const TOUCH_EVERY_MS = 60_000;
/** Temp files nobody wrote for this long are left from a crash and removed at start. */
const ABANDONED_TEMP_MS = 60 * 60_000;

/**
 * Verified blobs on disk, content-addressed (`<root>/<algorithm>/<hex>`), bounded by `maxBytes`
 * with LRU eviction. The index lives in memory and is rebuilt from the directory at start, with
 * last access kept in each file's mtime, so it survives restarts. Files only enter by an atomic
 * rename of a verified temp file. Eviction skips blobs with open readers (and on Linux an open
 * descriptor keeps an unlinked file's bytes anyway, so a blob another replica evicts is not lost
 * mid-read either). Replicas sharing the directory each keep their own index; a file another
 * replica added is adopted on first use.
 */
export class DiskBlobCache {
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private ready: Promise<void> | undefined;

  constructor(
    readonly root: string,
    readonly maxBytes: number,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get tempDir(): string {
    return join(this.root, 'tmp');
  }

  contentPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, algorithm, hex);
  }

  tempPath(digest: string, token: string, size: number): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.tempDir, `${algorithm}-${hex}.${token}.${size}`);
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.total };
  }

  /** The cached blob, opened, or undefined when it is not on disk. */
  async open(digest: string): Promise<OpenBlob | undefined> {
    await this.init();
    const path = this.contentPath(digest);
    let entry = this.entries.get(digest);
    if (!entry) {
      const found = await stat(path).catch(() => undefined);
      if (!found?.isFile()) return undefined;
      entry = this.add(digest, found.size, found.mtimeMs);
    }
    entry.readers++;
    const release = once(() => entry.readers--);
    try {
      const file = await open(path, 'r');
      this.touch(path, entry);
      return { file, size: entry.size, release };
    } catch (err) {
      release();
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.forget(digest); // another replica evicted it
      return undefined;
    }
  }

  /** Size of the cached blob without opening it, or undefined. */
  async sizeOf(digest: string): Promise<number | undefined> {
    await this.init();
    const entry = this.entries.get(digest);
    if (entry) return entry.size;
    const found = await stat(this.contentPath(digest)).catch(() => undefined);
    return found?.isFile() ? this.add(digest, found.size, found.mtimeMs).size : undefined;
  }

  /** Moves a verified temp file into place (atomic rename) and evicts down to `maxBytes`. */
  async commit(digest: string, tempPath: string, size: number): Promise<string> {
    await this.init();
    const path = this.contentPath(digest);
    await mkdir(join(this.root, parseDigest(digest).algorithm), { recursive: true });
    await rename(tempPath, path);
    if (!this.entries.has(digest)) this.add(digest, size, this.now());
    await this.evict(digest);
    return path;
  }

  /** Partial fills of `digest` by any replica sharing this directory, newest first. */
  async tempsOf(digest: string): Promise<TempFile[]> {
    await this.init();
    const { algorithm, hex } = parseDigest(digest);
    const stem = `${algorithm}-${hex}.`;
    const names = (await readdir(this.tempDir).catch(() => [] as string[])).filter((n) => n.startsWith(stem));
    const temps: TempFile[] = [];
    for (const name of names) {
      const [token, size] = name.slice(stem.length).split('.');
      const path = join(this.tempDir, name);
      const found = await stat(path).catch(() => undefined);
      if (found && token && size !== undefined) temps.push({ path, token, size: Number(size), mtimeMs: found.mtimeMs });
    }
    return temps.sort((a, b) => b.mtimeMs - a.mtimeMs);
  }

  init(): Promise<void> {
    this.ready ??= this.scan();
    return this.ready;
  }

  private async scan(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
    for (const algorithm of ['sha256', 'sha512']) {
      const dir = join(this.root, algorithm);
      for (const hex of await readdir(dir).catch(() => [] as string[])) {
        const found = await stat(join(dir, hex)).catch(() => undefined);
        if (found?.isFile()) this.add(`${algorithm}:${hex}`, found.size, found.mtimeMs);
      }
    }
    for (const name of await readdir(this.tempDir)) {
      const path = join(this.tempDir, name);
      const found = await stat(path).catch(() => undefined);
      if (found && this.now() - found.mtimeMs > ABANDONED_TEMP_MS) await unlink(path).catch(() => undefined);
    }
    await this.evict();
    this.logger?.info({ path: this.root, blobs: this.entries.size, bytes: this.total }, 'blob cache ready');
  }

  private add(digest: string, size: number, lastAccess: number): Entry {
    const entry = { size, lastAccess, readers: 0 };
    this.entries.set(digest, entry);
    this.total += size;
    return entry;
  }

  private forget(digest: string): void {
    const entry = this.entries.get(digest);
    if (!entry) return;
    this.entries.delete(digest);
    this.total -= entry.size;
  }

  private touch(path: string, entry: Entry): void {
    const now = this.now();
    const stale = now - entry.lastAccess > TOUCH_EVERY_MS;
    entry.lastAccess = now;
    if (stale) void utimes(path, now / 1000, now / 1000).catch(() => undefined);
  }

  /** Least recently used first; blobs being read, and `keep`, stay. */
  private async evict(keep?: string): Promise<void> {
    if (this.total <= this.maxBytes) return;
    const victims = [...this.entries].sort((a, b) => a[1].lastAccess - b[1].lastAccess);
    for (const [digest, entry] of victims) {
      if (this.total <= this.maxBytes) break;
      if (entry.readers > 0 || digest === keep) continue;
      this.forget(digest);
      await unlink(this.contentPath(digest)).catch(() => undefined);
      this.logger?.debug({ digest, size: entry.size }, 'blob cache: evicted');
    }
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
