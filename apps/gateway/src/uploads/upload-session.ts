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
