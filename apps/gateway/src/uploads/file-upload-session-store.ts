import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isExpired, isSessionId, SESSION_MAX_AGE_MS, type UploadSession, type UploadSessionStore } from './upload-session';

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
        if (now - statSync(file).mtimeMs > SESSION_MAX_AGE_MS) rmSync(file, { force: true });
      } catch {
        // Gone meanwhile (another replica swept it): nothing to do.
      }
    }
  }

  async get(id: string): Promise<UploadSession | undefined> {
    if (!isSessionId(id)) return undefined;
    try {
      const session = JSON.parse(await readFile(this.file(id), 'utf8')) as UploadSession;
      if (isExpired(session)) {
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
    if (isSessionId(id)) await rm(this.file(id), { force: true });
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}
