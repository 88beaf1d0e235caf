/**
 * Where cached objects live: in this process (bounded by bytes, LRU), in Redis, or both (an
 * in-process L1 in front of Redis). Values are opaque bytes; keys are built by the caller
 * (see cache-keys.ts). A store never throws because its backing service is down: a read is then
 * a miss and a write is dropped, and the store says so in its log once, not per request.
 */
export interface CacheStore {
  /** `memory`, `redis` or `tiered` (memory in front of redis), for status pages. */
  readonly kind: string;
  get(key: string): Promise<Buffer | undefined>;
  /** Stores `value` for `ttlMs` (the entry disappears after it; 0 = no expiry). */
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /** Removes keys here and, for shared stores, from every replica's L1. */
  delete(keys: readonly string[]): Promise<void>;
  /** Removes every key that starts with `prefix` (a purge); answers how many went. */
  deletePrefix(prefix: string): Promise<number>;
  /** Entries and bytes held (for a shared store: what this replica can see cheaply). */
  stats(): Promise<{ entries: number; bytes: number }>;
  close(): Promise<void>;
}
