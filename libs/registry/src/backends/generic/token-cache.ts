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
 * request to the realm (a burst of layer pulls must not become a burst of token requests).
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

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

  /** Runs `fetch` once for all concurrent callers of `key` and caches its token. */
  async fetch(key: string, fetch: () => Promise<{ token: string; expiresAt: number }>): Promise<string> {
    const running = this.inflight.get(key);
    if (running) return running;
    const started = this.now();
    const promise = fetch()
      .then(({ token, expiresAt }) => {
        const lifetime = Math.max(0, expiresAt - started);
        const margin = Math.min(MAX_MARGIN_MS, lifetime * MARGIN_FRACTION);
        this.entries.set(key, { token, useUntil: expiresAt - margin });
        return token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
