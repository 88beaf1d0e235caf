/** Sessions older than this are forgotten; the backend expires its own side. */
export const SESSION_MAX_AGE_MS = 24 * 3600 * 1000;

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Gantry's own session ids are UUIDs; anything else never names a session (or a file). */
export function isSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

export function isExpired(session: UploadSession, now = Date.now()): boolean {
  return now - session.createdAt > SESSION_MAX_AGE_MS;
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

/**
 * Where sessions live: in memory on one replica now; a Redis implementation lets any gateway
 * replica continue a session another one started.
 */
export interface UploadSessionStore {
  get(id: string): Promise<UploadSession | undefined>;
  save(session: UploadSession): Promise<void>;
  delete(id: string): Promise<void>;
}

export const UPLOAD_SESSION_STORE = Symbol('UploadSessionStore');
