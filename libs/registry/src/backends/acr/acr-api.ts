import { ContainerRegistryClient, type ContainerRegistryClientOptions } from '@azure/container-registry';
import type { TokenCredential } from '@azure/core-auth';
import { OciError } from '#oci';
import { ACR_AUDIENCE } from './aad-credential';

/** ACR throttling carries Retry-After; this is for when it does not. */
const DEFAULT_RETRY_AFTER_SECONDS = '10';

/**
 * ACR's control plane through @azure/container-registry (the one class that talks to it): the
 * SDK does its own AAD -> exchange -> token dance against the `/acr/v1` challenge and retries
 * 429s after Retry-After (`retries` times) before we see them.
 */
export class AcrApi {
  private readonly client: ContainerRegistryClient;

  constructor(
    private readonly backend: string,
    endpoint: string,
    credential: TokenCredential,
    options: { retries: number; clientOptions?: ContainerRegistryClientOptions },
  ) {
    this.client = new ContainerRegistryClient(endpoint, credential, {
      audience: ACR_AUDIENCE,
      retryOptions: { maxRetries: options.retries, maxRetryDelayInMs: 10_000 },
      ...options.clientOptions,
    });
  }

  /** Every repository name (`/acr/v1/_catalog`, all pages), as ACR orders them. */
  async repositoryNames(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const name of this.client.listRepositoryNames()) names.push(name);
    } catch (err) {
      throw this.translate(err, 'list repositories');
    }
    return names;
  }

  private translate(err: unknown, action: string): OciError {
    if (err instanceof OciError) return err;
    const e = err as Error & { statusCode?: number; code?: string; response?: { headers?: { get(name: string): string | undefined } } };
    if (e.statusCode === 429) {
      const retryAfter = e.response?.headers?.get('retry-after') ?? DEFAULT_RETRY_AFTER_SECONDS;
      return new OciError('TOOMANYREQUESTS', `backend ${this.backend}: ACR is throttling Gantry trying to ${action}`, { headers: { 'retry-after': retryAfter } });
    }
    if (e.statusCode === 401 || e.name === 'AuthenticationError' || e.name === 'CredentialUnavailableError' || e.name === 'AggregateAuthenticationError') {
      return new OciError('UNAUTHORIZED', `backend ${this.backend}: ACR or Azure AD refused Gantry's credentials trying to ${action}`);
    }
    if (e.statusCode === 403) return new OciError('DENIED', `backend ${this.backend}: ACR denied Gantry permission to ${action}`);
    const what = e.statusCode ? `HTTP ${e.statusCode}` : (e.code ?? e.name);
    return new OciError('UNAVAILABLE', `backend ${this.backend}: could not ${action} (${what})`);
  }
}
