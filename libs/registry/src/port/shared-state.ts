import type { BackendObserver } from './backend-observer';

/**
 * What a backend may share with the other gateway replicas, when the gateway has somewhere to
 * share it (Redis). Backends never know where: the gateway fills these ports at composition time,
 * and without them every backend works on its own, inside one process.
 */

/** Mutual exclusion across replicas for a read-modify-write of upstream state. */
export interface SharedLock {
  /**
   * Runs `work` while this replica holds `key` for the whole cluster; waits (bounded) for another
   * holder to finish. The same key on one replica is serialised by the caller, not by this.
   */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** An upstream bearer token, as one replica fetched it and others may reuse it. */
export interface SharedToken {
  token: string;
  /** Epoch milliseconds: when replicas stop using it (its expiry minus a safety margin). */
  useUntil: number;
}

/**
 * Upstream bearer tokens per backend and scope set. Tokens are secrets: an implementation keeps
 * them only where the replicas share them, expires them with the token, and never logs them.
 * Both methods swallow their own failures (a token store that is away means "fetch one").
 */
export interface SharedTokenStore {
  get(key: string): Promise<SharedToken | undefined>;
  set(key: string, token: SharedToken, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The shared-state ports a backend is built with; every one is optional. */
export interface BackendSharedState {
  locks?: SharedLock;
  tokens?: SharedTokenStore;
  /** Not shared state but filled at the same composition step: who watches upstream calls (metrics). */
  observer?: BackendObserver;
}
