import { randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OciError } from '#oci';
import type { ChunkInput, UploadHandle, UploadProgress } from '../../port';
import type { BlobStore } from './blob-store';
import { listDir, readIfExists, statIfExists } from './fs-util';
import { UUID, type StoreLayout } from './paths';

interface SessionMeta {
  repo: string;
  startedAt: string;
}

interface Session {
  id: string;
  dir: string;
  data: string;
}

/**
 * Upload sessions live on disk (`uploads/<uuid>/data` + `meta.json`) so they survive a restart
 * and the handle the gateway keeps is just the id. A session is as old as its last write
 * (mtime of `data`); older than the expiry it is unknown and swept.
 */
export class UploadStore {
  /** Serialises calls on one session: two appends at the same offset must not interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly layout: StoreLayout,
    private readonly blobs: BlobStore,
    private readonly expiryMs: number,
  ) {}

  async start(repo: string): Promise<UploadProgress> {
    const id = randomUUID();
    const dir = this.layout.uploadDir(id);
    await fs.mkdir(dir, { recursive: true });
    const meta: SessionMeta = { repo, startedAt: new Date().toISOString() };
    await fs.writeFile(path.join(dir, 'meta.json'), JSON.stringify(meta), { flag: 'wx' });
    await fs.writeFile(path.join(dir, 'data'), '', { flag: 'wx' });
    return { handle: JSON.stringify({ id }), size: 0 };
  }

  async write(repo: string, handle: UploadHandle, chunk: ChunkInput): Promise<UploadProgress> {
    const id = parseHandle(handle);
    return this.withLock(id, async () => {
      const session = await this.open(repo, id);
      return { handle, size: await append(session.data, chunk) };
    });
  }

  /** The bytes the session holds; a failed chunk was taken back off, so this is where to resume. */
  async status(repo: string, handle: UploadHandle): Promise<UploadProgress> {
    const id = parseHandle(handle);
    return this.withLock(id, async () => {
      const session = await this.open(repo, id);
      return { handle, size: (await fs.stat(session.data)).size };
    });
  }

  /**
   * Appends the last chunk, verifies the whole file against `hex` and moves it into the blob
   * store. On a mismatch the last chunk is taken back off, so the call changes nothing.
   */
  async finish(repo: string, handle: UploadHandle, hex: string, chunk?: ChunkInput): Promise<void> {
    const id = parseHandle(handle);
    await this.withLock(id, async () => {
      const session = await this.open(repo, id);
      const before = (await fs.stat(session.data)).size;
      if (chunk) await append(session.data, chunk);
      try {
        await this.blobs.ingestFile(session.data, hex);
      } catch (err) {
        if (chunk) await fs.truncate(session.data, before).catch(() => undefined);
        throw err;
      }
      await fs.rm(session.dir, { recursive: true, force: true });
    });
  }

  async cancel(repo: string, handle: UploadHandle): Promise<void> {
    const id = parseHandle(handle);
    await this.withLock(id, async () => {
      const session = await this.open(repo, id);
      await fs.rm(session.dir, { recursive: true, force: true });
    });
  }

  /** Removes sessions idle for longer than the expiry; returns how many. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const id of await listDir(this.layout.uploadsDir)) {
      if (this.locks.has(id)) continue;
      const dir = path.join(this.layout.uploadsDir, id);
      if (!UUID.test(id)) continue; // not ours: leave it to the operator
      if (!(await this.isExpired(dir))) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  private async isExpired(dir: string): Promise<boolean> {
    const st = (await statIfExists(path.join(dir, 'data'))) ?? (await statIfExists(dir));
    return !st || Date.now() - st.mtimeMs > this.expiryMs;
  }

  private async open(repo: string, id: string): Promise<Session> {
    const dir = this.layout.uploadDir(id);
    const raw = await readIfExists(path.join(dir, 'meta.json'));
    const meta = raw && parseMeta(raw);
    const data = path.join(dir, 'data');
    if (!meta || meta.repo !== repo || !(await statIfExists(data))) throw unknownUpload();
    if (await this.isExpired(dir)) {
      await fs.rm(dir, { recursive: true, force: true });
      throw unknownUpload();
    }
    return { id, dir, data };
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

function unknownUpload(): OciError {
  return new OciError('BLOB_UPLOAD_UNKNOWN');
}

/** The upload id inside a handle; anything that is not exactly our JSON is unknown. */
function parseHandle(handle: UploadHandle): string {
  let value: unknown;
  try {
    value = JSON.parse(handle);
  } catch {
    throw unknownUpload();
  }
  const id = (value as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || !UUID.test(id)) throw unknownUpload();
  return id;
}

function parseMeta(raw: Buffer): SessionMeta | undefined {
  try {
    const meta = JSON.parse(raw.toString('utf8')) as Partial<SessionMeta>;
    return typeof meta.repo === 'string' ? (meta as SessionMeta) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Appends a chunk that must start where the session ends (else 416). A failed or short chunk
 * is truncated off again, so the session stays at a size the client can resume from.
 */
async function append(file: string, chunk: ChunkInput): Promise<number> {
  const size = (await fs.stat(file)).size;
  if (chunk.offset !== size) {
    throw new OciError('RANGE_INVALID', `chunk starts at ${chunk.offset} but the upload holds ${size} bytes`, {
      detail: { size },
    });
  }
  let written = 0;
  const counter = new Transform({
    transform(data: Buffer, _encoding, callback) {
      written += data.length;
      callback(null, data);
    },
  });
  try {
    await pipeline(chunk.body, counter, createWriteStream(file, { flags: 'a' }));
    if (chunk.length !== undefined && written !== chunk.length) {
      throw new OciError('SIZE_INVALID', `expected ${chunk.length} bytes, got ${written}`);
    }
  } catch (err) {
    await fs.truncate(file, size);
    throw err;
  }
  return size + written;
}
