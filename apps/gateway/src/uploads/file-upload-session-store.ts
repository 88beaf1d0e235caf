import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadSession, UploadSessionStore } from './upload-session';

const MAX_AGE_MS = 24 * 3600 * 1000;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Sessions as small files, so a single gateway can be restarted (or killed) in the middle of a
 * client's chunked upload and the client still resumes. Writes are atomic (temp + rename).
 */
export class FileUploadSessionStore implements UploadSessionStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.sweep();
  }

  /** Sessions abandoned past the age limit (and temp files of a crash) are removed at start. */
  private sweep(): void {
    const now = Date.now();
    for (const entry of readdirSync(this.dir)) {
      const file = join(this.dir, entry);
      try {
        if (now - statSync(file).mtimeMs > MAX_AGE_MS) rmSync(file, { force: true });
      } catch {
        // Gone meanwhile (another replica swept it): nothing to do.
      }
    }
  }

  async get(id: string): Promise<UploadSession | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    try {
      const session = JSON.parse(await readFile(this.file(id), 'utf8')) as UploadSession;
      if (Date.now() - session.createdAt > MAX_AGE_MS) {
        await this.delete(id);
        return undefined;
      }
      return session;
    } catch {
      return undefined;
    }
  }

  async save(session: UploadSession): Promise<void> {
    const target = this.file(session.id);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(session));
    await rename(temp, target);
  }

  async delete(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await rm(this.file(id), { force: true });
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}
