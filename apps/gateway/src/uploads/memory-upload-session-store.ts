import { overCap, SessionClock, type SessionAging, type SessionCaps, type SessionCount, type UploadSession, type UploadSessionStore } from './upload-session';

export class MemoryUploadSessionStore implements UploadSessionStore {
  private readonly sessions = new Map<string, UploadSession>();
  private readonly clock: SessionClock;

  constructor(aging: SessionAging) {
    this.clock = new SessionClock(aging);
  }

  async get(id: string): Promise<UploadSession | undefined> {
    const session = this.sessions.get(id);
    return session && !this.clock.isExpired(session) ? { ...session } : undefined;
  }

  async save(session: UploadSession): Promise<void> {
    this.sessions.set(session.id, { ...session });
  }

  async insert(session: UploadSession, caps: SessionCaps): Promise<SessionCount | undefined> {
    const open = await this.count(session.name);
    if (overCap(open, caps)) return open;
    this.sessions.set(session.id, { ...session });
    return undefined;
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  async count(name: string): Promise<SessionCount> {
    let repository = 0;
    for (const session of this.sessions.values()) if (session.name === name) repository++;
    return { total: this.sessions.size, repository };
  }

  async takeExpired(): Promise<UploadSession[]> {
    const expired = [...this.sessions.values()].filter((s) => this.clock.isExpired(s));
    for (const session of expired) this.sessions.delete(session.id);
    return expired;
  }
}
