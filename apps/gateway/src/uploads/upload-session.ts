const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Gantry's own session ids are UUIDs; anything else never names a session (or a file). */
export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

/** What the gateway remembers of an upload between a client's requests. */
export interface UploadSession {
  id: string;
  /** The client-facing repository name the session was opened for. */
  name: string;
  backend: string;
  upstreamName: string;
  /** The backend's opaque state. */
  handle: string;
  /** Bytes received so far. */
  offset: number;
  createdAt: number;
}

/** How many sessions are open, in all and for one repository. */
export interface SessionCount {
  total: number;
  repository: number;
}

/** The most sessions open at once, in all and per repository (`server.uploadSessions`). */
export interface SessionCaps {
  maxTotal: number;
  maxPerRepository: number;
}

/** True when one more session would pass a cap. */
export function overCap(open: SessionCount, caps: SessionCaps): boolean {
  return open.total >= caps.maxTotal || open.repository >= caps.maxPerRepository;
}

/** When sessions expire; the clock is injectable so that tests need not wait a day. */
export interface SessionAging {
  maxAgeMs: number;
  now?: () => number;
}

/** Sessions older than the age limit are unknown to clients and swept with their backend side. */
export class SessionClock {
  private readonly now: () => number;
  constructor(private readonly aging: SessionAging) {
    this.now = aging.now ?? Date.now;
  }

  isExpired(session: Pick<UploadSession, 'createdAt'>): boolean {
    return this.now() - session.createdAt > this.aging.maxAgeMs;
  }
}

/**
 * Where sessions live: in memory or in files on one replica; in Redis (with `redis:`), where any
 * gateway replica continues a session another one started.
 */
export interface UploadSessionStore {
  /** An open session; an expired one is unknown (the sweep removes it and cancels its backend side). */
  get(id: string): Promise<UploadSession | undefined>;
  save(session: UploadSession): Promise<void>;
  /**
   * Saves a new session when both caps have room, as one step (concurrent starts, on any replica,
   * cannot overshoot); answers the count that refused it, or undefined when saved.
   */
  insert(session: UploadSession, caps: SessionCaps): Promise<SessionCount | undefined>;
  delete(id: string): Promise<void>;
  /** Open sessions (expired ones included until swept), in all and of the client-facing `name`. */
  count(name: string): Promise<SessionCount>;
  /** Removes the expired sessions and returns them, so that their backend side can be cancelled. */
  takeExpired(): Promise<UploadSession[]>;
}

export const UPLOAD_SESSION_STORE = Symbol('UploadSessionStore');
