import type { Logger } from 'pino';
import type { SharedTokenStore } from '../../port';
import { selectChallenge, type AuthChallenge } from './challenge';
import { systemClock, type Clock } from './clock';
import type { BasicCredentials, BearerTokenProvider, CredentialSource } from './credentials';
import type { RealmPolicy } from './realm-policy';
import { TokenCache } from './token-cache';

/** The Authorization a request carried, and what a 401 to it would mean. */
export interface AuthorizationUse {
  kind: 'none' | 'basic' | 'bearer';
  header?: string;
  /** A cached token was used: a 401 may only mean the upstream expired it early. */
  cached: boolean;
}

export interface AuthenticatorOptions {
  backend: string;
  credentials?: CredentialSource;
  tokenProvider: BearerTokenProvider;
  realmPolicy: RealmPolicy;
  logger: Logger;
  /** Judges cached tokens' expiry (default the system clock). */
  clock?: Clock;
  /** Bearer tokens shared with the other replicas; keys are realm, service and scopes. */
  sharedTokens?: SharedTokenStore;
  /** `GET /v2/` without credentials; resolves to the challenge it answered with. */
  ping(): Promise<AuthChallenge>;
}

/**
 * How long a failed ping is answered from memory: requests right behind a failure fail with it
 * instead of each waiting on a ping of their own to an upstream that just did not answer.
 */
export const PING_FAILURE_MEMORY_MS = 5_000;

/**
 * Knows how the upstream wants to be authenticated (challenge discovery) and produces the
 * Authorization header for a set of scopes, caching Bearer tokens per scope set.
 */
export class Authenticator {
  private challenge?: AuthChallenge;
  private discovering?: Promise<AuthChallenge>;
  private failedPing?: { error: unknown; until: number };
  private readonly tokens: TokenCache;
  private readonly clock: Clock;

  constructor(private readonly options: AuthenticatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.tokens = new TokenCache(this.clock, options.sharedTokens);
  }

  get credentials(): CredentialSource | undefined {
    return this.options.credentials;
  }

  /** The Authorization for a request needing `scopes`; `fresh` bypasses the token cache. */
  async authorize(scopes: readonly string[], fresh = false): Promise<AuthorizationUse> {
    const challenge = await this.discover();
    if (challenge.scheme === 'none') return { kind: 'none', cached: false };
    if (challenge.scheme === 'basic') {
      const credentials = await this.options.credentials?.getCredentials();
      return credentials ? { kind: 'basic', header: basicHeader(credentials), cached: false } : { kind: 'none', cached: false };
    }
    // Checked before every use, not once: the challenge can change on any 401.
    this.options.realmPolicy.check(challenge.realm);
    const key = `${challenge.realm}|${challenge.service ?? ''}|${TokenCache.keyOf(scopes)}`;
    if (fresh) {
      await this.tokens.delete(key);
    } else {
      const cached = this.tokens.peek(key);
      if (cached) return { kind: 'bearer', header: `Bearer ${cached}`, cached: true };
    }
    const { realm, service } = challenge;
    const token = await this.tokens.fetch(
      key,
      () => this.options.tokenProvider.fetchToken(service ? { realm, service } : { realm }, [...new Set(scopes)]),
      fresh,
    );
    return { kind: 'bearer', header: `Bearer ${token}`, cached: false };
  }

  /**
   * Takes in the challenge of a 401. Returns the scope it asked for (distribution names the exact
   * scope it wanted), and whether the scheme or realm changed since we last looked.
   */
  learn(wwwAuthenticate: string | string[] | undefined): { scope?: string; changed: boolean } {
    const next = selectChallenge(wwwAuthenticate) ?? ({ scheme: 'basic' } as const);
    const before = this.challenge;
    const changed =
      !before || before.scheme !== next.scheme || (before.scheme === 'bearer' && next.scheme === 'bearer' && (before.realm !== next.realm || before.service !== next.service));
    if (changed) {
      this.options.logger.debug({ scheme: next.scheme }, 'upstream authentication challenge changed');
      this.challenge = next.scheme === 'bearer' ? { scheme: 'bearer', realm: next.realm, ...(next.service ? { service: next.service } : {}) } : next;
      this.tokens.clear();
    }
    return { scope: next.scheme === 'bearer' ? next.scope : undefined, changed };
  }

  forgetToken(scopes: readonly string[]): void {
    if (this.challenge?.scheme !== 'bearer') return;
    void this.tokens.delete(`${this.challenge.realm}|${this.challenge.service ?? ''}|${TokenCache.keyOf(scopes)}`);
  }

  /** The upstream refused what the source gave us: refetch on the next call. */
  invalidateCredentials(): void {
    this.options.credentials?.invalidate();
    this.tokens.clear();
  }

  /** True when a credential source exists and currently yields credentials. */
  async hasCredentials(): Promise<boolean> {
    try {
      return (await this.options.credentials?.getCredentials()) !== undefined;
    } catch {
      return true;
    }
  }

  private async discover(): Promise<AuthChallenge> {
    if (this.challenge) return this.challenge;
    if (this.failedPing && this.clock() < this.failedPing.until) throw this.failedPing.error;
    // One ping for all concurrent first requests; a failure is remembered briefly.
    this.discovering ??= this.options.ping().then(
      (challenge) => {
        this.challenge ??= challenge;
        this.discovering = undefined;
        this.failedPing = undefined;
        return this.challenge;
      },
      (err: unknown) => {
        this.discovering = undefined;
        this.failedPing = { error: err, until: this.clock() + PING_FAILURE_MEMORY_MS };
        throw err;
      },
    );
    return this.discovering;
  }
}

function basicHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
