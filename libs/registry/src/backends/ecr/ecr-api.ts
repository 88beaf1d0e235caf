import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  type ECRClientConfig,
} from '@aws-sdk/client-ecr';
import { OciError } from '#oci';
import type { BackendOfType } from '#config';
import type { BasicCredentials } from '../generic/credentials';
import type { Expiring } from '../generic/refreshing-secret';

type EcrConfig = BackendOfType<'ecr'>;

/** AWS answers throttling with no Retry-After; ECR's token API refills per second. */
const THROTTLED_RETRY_AFTER_SECONDS = '1';

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded', 'LimitExceededException']);
/** The caller's AWS identity is missing, unknown, expired or not allowed to get registry tokens. */
const IDENTITY = new Set([
  'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'ExpiredToken',
  'InvalidClientTokenId', 'IncompleteSignature', 'MissingAuthenticationToken', 'CredentialsProviderError',
  'SignatureDoesNotMatch',
]);

/**
 * The ECR control plane (the one class that talks to the AWS SDK): registry tokens, repository
 * creation and listing. Every failure leaves as an OciError naming the backend; AWS messages
 * carry no secrets, and the SDK's own retry (throttling backoff) runs before we see one.
 */
export class EcrApi {
  private readonly client: ECRClient;

  constructor(
    private readonly backend: string,
    private readonly config: EcrConfig,
  ) {
    const options: ECRClientConfig = {
      region: config.region,
      maxAttempts: config.retries + 1,
      requestHandler: { connectionTimeout: config.timeouts.connectMs, requestTimeout: config.timeouts.readMs },
    };
    if (config.apiEndpoint) options.endpoint = config.apiEndpoint;
    // Without static keys the SDK's default chain applies: environment, shared config/SSO,
    // web identity (EKS IRSA / Pod Identity), ECS task role, EC2 instance metadata.
    if (config.credentials) options.credentials = { ...config.credentials };
    this.client = new ECRClient(options);
  }

  /** `GetAuthorizationToken`: the `AWS:<password>` pair for the registry host and its expiry. */
  async authorizationToken(): Promise<Expiring<BasicCredentials>> {
    const out = await this.call('get a registry token', () => this.client.send(new GetAuthorizationTokenCommand({})), true);
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken || !data.expiresAt) {
      throw new OciError('UNAVAILABLE', `backend ${this.backend}: GetAuthorizationToken returned no token`);
    }
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OciError('UNAVAILABLE', `backend ${this.backend}: GetAuthorizationToken returned a malformed token`);
    return {
      value: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      expiresAt: data.expiresAt.getTime(),
    };
  }

  /** `CreateRepository`; false when it already existed (another replica, or a human, made it). */
  async createRepository(name: string): Promise<boolean> {
    try {
      await this.client.send(new CreateRepositoryCommand({ registryId: this.config.registryId, repositoryName: name }));
      return true;
    } catch (err) {
      if ((err as Error).name === 'RepositoryAlreadyExistsException') return false;
      throw this.translate(err, `create repository ${name}`, false);
    }
  }

  /** Every repository name of the registry, through all `nextToken` pages, in AWS's order. */
  async repositoryNames(): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('list repositories', () =>
        this.client.send(new DescribeRepositoriesCommand({ registryId: this.config.registryId, nextToken, maxResults: 1000 })), false);
      for (const repo of page.repositories ?? []) if (repo.repositoryName) names.push(repo.repositoryName);
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(action: string, run: () => Promise<T>, fetchingToken: boolean): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.translate(err, action, fetchingToken);
    }
  }

  private translate(err: unknown, action: string, fetchingToken: boolean): OciError {
    if (err instanceof OciError) return err;
    const e = err as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
    const type = e.name;
    const status = e.$metadata?.httpStatusCode;
    if (THROTTLING.has(type) || status === 429) {
      return new OciError('TOOMANYREQUESTS', `backend ${this.backend}: AWS is throttling Gantry (${type}) trying to ${action}`, {
        headers: { 'retry-after': THROTTLED_RETRY_AFTER_SECONDS },
      });
    }
    if (IDENTITY.has(type) || (fetchingToken && type === 'AccessDeniedException')) {
      return new OciError('UNAUTHORIZED', `backend ${this.backend}: AWS refused Gantry's credentials (${type}) trying to ${action}`);
    }
    if (type === 'AccessDeniedException') {
      return new OciError('DENIED', `backend ${this.backend}: AWS denied Gantry permission to ${action}`);
    }
    if (type === 'InvalidParameterException') {
      return new OciError('NAME_INVALID', `backend ${this.backend}: ECR refused to ${action}: ${e.message.slice(0, 300)}`);
    }
    const what = status ? `${type}, HTTP ${status}` : (e.code ?? type);
    return new OciError('UNAVAILABLE', `backend ${this.backend}: could not ${action} (${what})`);
  }
}
