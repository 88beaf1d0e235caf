import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isSessionId, overCap, SessionClock, type SessionAging, type SessionCaps, type SessionCount, type UploadSession, type UploadSessionStore,
} from './upload-session';

/** A temp file this old is left over from a crash mid-write, not a write in progress. */
const STALE_TEMP_MS = 3600 * 1000;

interface IndexEntry {
  name: string;
  createdAt: number;
}

/**
 * Sessions as small files, so a single gateway can be restarted (or killed) in the middle of a
 * client's chunked upload and the client still resumes. Writes are atomic (temp + rename). An
 * index in memory, read from the files at start, answers counts and sweeps without reading them.
 */
export class FileUploadSessionStore implements UploadSessionStore {
  private readonly index = new Map<string, IndexEntry>();
  private readonly clock: SessionClock;

  constructor(
    private readonly dir: string,
    aging: SessionAging,
  ) {
    this.clock = new SessionClock(aging);
    mkdirSync(dir, { recursive: true });
    this.load();
  }

  private load(): void {
    const now = Date.now();
    for (const entry of readdirSync(this.dir)) {
      const file = join(this.dir, entry);
      const id = entry.endsWith('.json') ? entry.slice(0, -'.json'.length) : undefined;
      try {
        if (id && isSessionId(id)) {
          const session = parseSession(readFileSync(file, 'utf8'));
          if (session) this.index.set(id, { name: session.name, createdAt: session.createdAt });
          else rmSync(file, { force: true });
        } else if (entry.endsWith('.tmp') && now - statSync(file).mtimeMs > STALE_TEMP_MS) {
          rmSync(file, { force: true });
        }
      } catch {
        // Gone meanwhile: nothing to do.
      }
    }
  }

  async get(id: string): Promise<UploadSession | undefined> {
    if (!isSessionId(id)) return undefined;
    const session = await this.read(id);
    return session && !this.clock.isExpired(session) ? session : undefined;
  }

  async save(session: UploadSession): Promise<void> {
    const target = this.file(session.id);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(session));
    await rename(temp, target);
    this.index.set(session.id, { name: session.name, createdAt: session.createdAt });
  }

  async insert(session: UploadSession, caps: SessionCaps): Promise<SessionCount | undefined> {
    const open = await this.count(session.name);
    if (overCap(open, caps)) return open;
    // Counted at once, before the file is written, so that concurrent starts see it.
    this.index.set(session.id, { name: session.name, createdAt: session.createdAt });
    try {
      await this.save(session);
    } catch (err) {
      this.index.delete(session.id);
      throw err;
    }
    return undefined;
  }

  async delete(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    this.index.delete(id);
    await rm(this.file(id), { force: true });
  }

  async count(name: string): Promise<SessionCount> {
    let repository = 0;
    for (const entry of this.index.values()) if (entry.name === name) repository++;
    return { total: this.index.size, repository };
  }

  async takeExpired(): Promise<UploadSession[]> {
    const expired: UploadSession[] = [];
    for (const [id, entry] of [...this.index]) {
      if (!this.clock.isExpired(entry)) continue;
      const session = await this.read(id);
      await this.delete(id);
      if (session) expired.push(session);
    }
    return expired;
  }

  private async read(id: string): Promise<UploadSession | undefined> {
    try {
      return parseSession(await readFile(this.file(id), 'utf8'));
    } catch {
      return undefined;
    }
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

function parseSession(text: string): UploadSession | undefined {
  try {
    const doc = JSON.parse(text) as Partial<UploadSession> | null;
    return doc && typeof doc.name === 'string' && typeof doc.createdAt === 'number' && typeof doc.handle === 'string'
      ? (doc as UploadSession)
      : undefined;
  } catch {
    return undefined;
  }
}
