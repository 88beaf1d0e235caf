/**
 * How a backend obtains the secrets it presents upstream. Cloud backends implement these
 * (ECR: GetAuthorizationToken, GAR: OAuth2 access tokens, ACR: AAD exchange) and hand them to
 * GenericRegistry, which owns the challenge/token protocol around them.
 */

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface CredentialState {
  state: 'none' | 'valid' | 'error' | 'unknown';
  validUntil?: string;
  lastError?: string;
}

export interface CredentialSource {
  /** Credentials for a Basic challenge, or for the Bearer token realm; undefined = anonymous. Cached by the source; concurrent callers share one fetch. */
  getCredentials(): Promise<BasicCredentials | undefined>;
  /** Upstream rejected them (401 after authenticating): drop caches so the next call refetches. */
  invalidate(): void;
  state(): CredentialState;
  /** Optional: an authenticated request succeeded, so the state may say `valid`. */
  confirm?(): void;
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/** Replaces the default Docker token GET (ACR does an /oauth2/exchange + /oauth2/token dance). */
export interface BearerTokenProvider {
  fetchToken(challenge: BearerChallenge, scopes: string[]): Promise<{ token: string; expiresAt: number }>;
}

/** Username/password (or personal access token) from the configuration file. */
export class StaticCredentials implements CredentialSource {
  private current: CredentialState;

  constructor(private readonly credentials?: BasicCredentials) {
    this.current = credentials ? { state: 'unknown' } : { state: 'none' };
  }

  async getCredentials(): Promise<BasicCredentials | undefined> {
    return this.credentials;
  }

  invalidate(): void {
    // Static secrets cannot be refetched; remember the rejection for status().
    if (this.credentials) this.current = { state: 'error', lastError: 'rejected by the upstream registry' };
  }

  confirm(): void {
    if (this.credentials) this.current = { state: 'valid' };
  }

  state(): CredentialState {
    return { ...this.current };
  }
}

/** Config's `{username, password?}` as a source; a username without a password is anonymous. */
export function staticCredentialsFrom(config?: { username: string; password?: string }): StaticCredentials {
  return new StaticCredentials(config?.password !== undefined ? { username: config.username, password: config.password } : undefined);
}

/** A thrown marker: the token realm or registry refused the credentials we presented. */
export class CredentialsRejected extends Error {
  constructor(readonly anonymous: boolean) {
    super(anonymous ? 'anonymous access refused' : 'credentials rejected');
    this.name = 'CredentialsRejected';
  }
}
