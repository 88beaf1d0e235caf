import type { SharedTokenStore } from '../../port';

/** Tokens are renewed this long before they expire, so none dies in flight. */
const MAX_MARGIN_MS = 30_000;
const MARGIN_FRACTION = 0.2;

interface Entry {
  token: string;
  /** When we stop using it: expiry minus the margin. */
  useUntil: number;
}

/**
 * Bearer tokens per scope set, with concurrent fetches for one scope set coalesced into one
 * request to the realm (a burst of layer pulls must not become a burst of token requests). With a
 * shared store, a token one replica fetched is reused by the others until its margin.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly shared?: SharedTokenStore,
  ) {}

  static keyOf(scopes: readonly string[]): string {
    return [...new Set(scopes)].sort().join(' ');
  }

  /** A cached, still-usable token, if any. */
  peek(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.useUntil <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Runs `fetch` once for all concurrent callers of `key` and caches its token; a token in the
   * shared store is taken instead of fetching, unless `fresh` (the last one was refused).
   */
  async fetch(key: string, fetch: () => Promise<{ token: string; expiresAt: number }>, fresh = false): Promise<string> {
    const running = this.inflight.get(key);
    if (running) return running;
    const promise = this.obtain(key, fetch, fresh)
      .then((entry) => {
        this.entries.set(key, entry);
        return entry.token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  /** Forgets the token here and in the shared store (it was refused or is being replaced). */
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
    await this.shared?.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private async obtain(key: string, fetch: () => Promise<{ token: string; expiresAt: number }>, fresh: boolean): Promise<Entry> {
    if (this.shared && !fresh) {
      const known = await this.shared.get(key);
      if (known && known.useUntil > this.now()) return known;
    }
    const started = this.now();
    const { token, expiresAt } = await fetch();
    const lifetime = Math.max(0, expiresAt - started);
    const margin = Math.min(MAX_MARGIN_MS, lifetime * MARGIN_FRACTION);
    const entry = { token, useUntil: expiresAt - margin };
    const ttlMs = entry.useUntil - this.now();
    if (this.shared && ttlMs > 0) await this.shared.set(key, entry, ttlMs);
    return entry;
  }
}
