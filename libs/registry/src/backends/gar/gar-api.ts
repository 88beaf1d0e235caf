import { v1 } from '@google-cloud/artifact-registry';
import type { AuthClient, GoogleAuth } from 'google-auth-library';
import type { BackendOfType } from '#config';
import { googleError } from './google-errors';

type GarConfig = BackendOfType<'gar'>;
type CallOptions = NonNullable<Parameters<v1.ArtifactRegistryClient['listDockerImagesAsync']>[1]>;

/** gRPC codes worth another try on a list call: quota (RESOURCE_EXHAUSTED) and UNAVAILABLE. */
const RETRY_CODES = [8, 14];

/** `apiEndpoint` is `host[:port]` or, for a local stand-in, `http://host:port`. */
export function clientEndpoint(apiEndpoint: string): { apiEndpoint: string; port?: number; protocol?: string } {
  const withScheme = /^[a-z]+:\/\//i.test(apiEndpoint) ? apiEndpoint : `https://${apiEndpoint}`;
  const url = new URL(withScheme);
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  return { apiEndpoint: url.hostname, port, protocol: url.protocol.replace(':', '') };
}

/**
 * The Artifact Registry API through @google-cloud/artifact-registry (REST transport: no gRPC
 * native code, and it can be pointed at plain HTTP). The one class that talks to it.
 */
export class GarApi {
  private readonly client: v1.ArtifactRegistryClient;
  private readonly callOptions: CallOptions;
  private readonly parent: string;

  constructor(
    private readonly backend: string,
    config: GarConfig,
    /** The same identity the registry credentials come from. */
    auth: { googleAuth: GoogleAuth } | { authClient: AuthClient },
  ) {
    this.parent = `projects/${config.project}/locations/${config.location}`;
    this.client = new v1.ArtifactRegistryClient({
      fallback: true,
      ...('googleAuth' in auth ? { auth: auth.googleAuth } : { authClient: auth.authClient }),
      ...(config.apiEndpoint ? clientEndpoint(config.apiEndpoint) : {}),
    } as ConstructorParameters<typeof v1.ArtifactRegistryClient>[0]);
    this.callOptions = {
      timeout: config.timeouts.readMs,
      retry: {
        retryCodes: RETRY_CODES,
        backoffSettings: {
          initialRetryDelayMillis: 100,
          retryDelayMultiplier: 2,
          maxRetryDelayMillis: 2000,
          initialRpcTimeoutMillis: config.timeouts.readMs,
          rpcTimeoutMultiplier: 1,
          maxRpcTimeoutMillis: config.timeouts.readMs,
          maxRetries: config.retries,
        },
      },
    };
  }

  /** Docker-format repository ids (`images`, not the resource name) of the location. */
  async repositories(): Promise<string[]> {
    const ids: string[] = [];
    try {
      for await (const repo of this.client.listRepositoriesAsync({ parent: this.parent, pageSize: 1000 }, this.callOptions)) {
        if (repo.format !== undefined && repo.format !== null && repo.format !== 'DOCKER' && repo.format !== 1) continue;
        const id = repo.name?.split('/').pop();
        if (id) ids.push(id);
      }
    } catch (err) {
      throw googleError(this.backend, 'list repositories', err);
    }
    return ids;
  }

  /** Image paths inside a repository (`team/app`), once each however many digests they have. */
  async images(repository: string): Promise<string[]> {
    const images = new Set<string>();
    try {
      const request = { parent: `${this.parent}/repositories/${repository}`, pageSize: 1000 };
      for await (const image of this.client.listDockerImagesAsync(request, this.callOptions)) {
        // `.../dockerImages/<url-encoded image>@<digest>`; the encoded path never holds '@'.
        const encoded = image.name?.split('/dockerImages/')[1]?.split('@')[0];
        if (encoded) images.add(decodeURIComponent(encoded));
      }
    } catch (err) {
      throw googleError(this.backend, `list images of repository ${repository}`, err);
    }
    return [...images];
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
