import type { Logger } from 'pino';
import type { CredentialState } from '../generic/credentials';

/** A secret and the instant (epoch ms) its issuer says it stops working. */
export interface Expiring<T> {
  value: T;
  expiresAt: number;
}

export interface RefreshingSecretOptions {
  /** Renew at most this long before expiry (default 5 minutes)... */
  maxMarginMs?: number;
  /** ...and at most this fraction of the lifetime, so short-lived test tokens stay usable. */
  marginFraction?: number;
  /**
   * A value younger than this is kept when invalidated: the requests that were refused carried
   * an older one, and a secret the issuer has just handed out would be refused again anyway.
   * Without this, a burst of 401s to one stale token would become a burst of refetches.
   */
  minAgeToInvalidateMs?: number;
  now?: () => number;
  /** Refreshes (debug) and failures (warn) are logged here, never the secret itself. */
  logger?: Logger;
  /** What the secret is, for those log lines: "ECR authorization token". */
  what?: string;
  /** Told after each fetch how it went (metrics); never the secret. */
  onFetched?: (result: 'success' | 'failure') => void;
}

interface Current<T> {
  value: T;
  expiresAt: number;
  useUntil: number;
  fetchedAt: number;
}

/**
 * A cloud-issued secret (ECR authorization token, Google access token, ACR refresh token):
 * fetched once for all concurrent callers, reused until shortly before it expires, dropped
 * when the registry refuses it. Knows its own state for status pages, never the secret.
 *
 * Shared by the ecr, gar and acr backends; a candidate for the generic folder.
 */
export class RefreshingSecret<T> {
  private current?: Current<T>;
  private inflight?: Promise<T>;
  private lastError?: string;
  private readonly now: () => number;

  constructor(
    private readonly fetcher: () => Promise<Expiring<T>>,
    private readonly options: RefreshingSecretOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<T> {
    if (this.current && this.current.useUntil > this.now()) return this.current.value;
    if (!this.inflight) {
      const running = this.fetch();
      this.inflight = running;
      // Cleared after settling, whether the fetcher failed asynchronously or at once.
      running.then(
        () => this.settle(running),
        () => this.settle(running),
      );
    }
    return this.inflight;
  }

  /** The issuer's value was refused upstream: the next get() fetches a new one. */
  invalidate(reason = 'rejected by the registry'): void {
    if (!this.current) return;
    if (this.now() - this.current.fetchedAt < (this.options.minAgeToInvalidateMs ?? 1000)) return;
    this.current = undefined;
    this.lastError = reason;
    this.options.logger?.info({ reason }, `dropped ${this.options.what ?? 'credentials'}; the next request fetches new ones`);
  }

  /** Forget the value whatever its age (it was issued for something else). */
  reset(): void {
    this.current = undefined;
  }

  state(): CredentialState {
    if (this.current) {
      const state: CredentialState = { state: 'valid', validUntil: new Date(this.current.expiresAt).toISOString() };
      if (this.lastError) state.lastError = this.lastError;
      return state;
    }
    return this.lastError ? { state: 'error', lastError: this.lastError } : { state: 'unknown' };
  }

  private async fetch(): Promise<T> {
    const started = this.now();
    try {
      const { value, expiresAt } = await this.fetcher();
      const lifetime = Math.max(0, expiresAt - started);
      const margin = Math.min(this.options.maxMarginMs ?? 5 * 60_000, lifetime * (this.options.marginFraction ?? 0.2));
      this.current = { value, expiresAt, useUntil: expiresAt - margin, fetchedAt: this.now() };
      this.lastError = undefined;
      this.options.logger?.debug({ validUntil: new Date(expiresAt).toISOString() }, `fetched ${this.options.what ?? 'credentials'}`);
      this.options.onFetched?.('success');
      return value;
    } catch (err) {
      this.current = undefined;
      // Messages are built by our own error mapping and name no secret.
      this.lastError = err instanceof Error ? err.message : String(err);
      this.options.logger?.warn({ error: this.lastError }, `could not fetch ${this.options.what ?? 'credentials'}`);
      this.options.onFetched?.('failure');
      throw err;
    }
  }

  private settle(running: Promise<T>): void {
    if (this.inflight === running) this.inflight = undefined;
  }
}
