import type { UploadSession, UploadSessionStore } from './upload-session';

/** Sessions older than this are forgotten; the backend expires its own side. */
const MAX_AGE_MS = 24 * 3600 * 1000;

export class MemoryUploadSessionStore implements UploadSessionStore {
  private readonly sessions = new Map<string, UploadSession>();

  async get(id: string): Promise<UploadSession | undefined> {
    const session = this.sessions.get(id);
    if (session && Date.now() - session.createdAt > MAX_AGE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    return session ? { ...session } : undefined;
  }

  async save(session: UploadSession): Promise<void> {
    this.sessions.set(session.id, { ...session });
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }
}
