import { isExpired, type UploadSession, type UploadSessionStore } from './upload-session';

export class MemoryUploadSessionStore implements UploadSessionStore {
  private readonly sessions = new Map<string, UploadSession>();

  async get(id: string): Promise<UploadSession | undefined> {
    const session = this.sessions.get(id);
    if (session && isExpired(session)) {
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
