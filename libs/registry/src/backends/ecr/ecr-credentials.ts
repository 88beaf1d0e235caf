import type { Logger } from 'pino';
import type { BasicCredentials, CredentialSource, CredentialState } from '../generic/credentials';
import type { EcrApi } from './ecr-api';
import type { Clock } from '../generic/clock';
import { RefreshingSecret, type RefreshingSecretOptions } from '../generic/refreshing-secret';

/**
 * `Basic AWS:<password>` for the registry host, from GetAuthorizationToken. The API is
 * throttled (about 20 TPS per account): one token serves every request until shortly before
 * its 12 h expiry, and a burst of requests at expiry shares one call.
 */
export class EcrCredentials implements CredentialSource {
  private readonly token: RefreshingSecret<BasicCredentials>;

  constructor(api: Pick<EcrApi, 'authorizationToken'>, logger?: Logger, clock?: Clock, onFetched?: RefreshingSecretOptions['onFetched']) {
    this.token = new RefreshingSecret(() => api.authorizationToken(), { logger, what: 'ECR authorization token', now: clock, onFetched });
  }

  getCredentials(): Promise<BasicCredentials> {
    return this.token.get();
  }

  invalidate(): void {
    this.token.invalidate('registry token rejected by ECR');
  }

  state(): CredentialState {
    return this.token.state();
  }
}
