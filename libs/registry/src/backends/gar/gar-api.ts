import { v1 } from '@google-cloud/artifact-registry';
import type { AuthClient, GoogleAuth } from 'google-auth-library';
import type { BackendOfType } from '#config';
import { googleError } from './google-errors';

type GarConfig = BackendOfType<'gar'>;

/** gRPC codes worth another try on a list call: quota (RESOURCE_EXHAUSTED) and UNAVAILABLE. */
const RETRY_CODES = new Set([8, 14]);
const BASE_DELAY_MS = 200;

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
  private readonly callOptions: { timeout: number; autoPaginate: false };
  private readonly retries: number;
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
    // gax's own retry reports exhausted retries as DEADLINE_EXCEEDED, hiding the quota error
    // the client must see as TOOMANYREQUESTS: the retry loop is ours (`withRetries`).
    // autoPaginate: the async iterators page on demand anyway; gax warns at every call unless told.
    this.callOptions = { timeout: config.timeouts.readMs, autoPaginate: false };
    this.retries = config.retries;
  }

  /** Docker-format repository ids (`images`, not the resource name) of the location. */
  async repositories(): Promise<string[]> {
    return this.withRetries('list repositories', async () => {
      const ids: string[] = [];
      for await (const repo of this.client.listRepositoriesAsync({ parent: this.parent, pageSize: 1000 }, this.callOptions)) {
        if (repo.format !== undefined && repo.format !== null && repo.format !== 'DOCKER' && repo.format !== 1) continue;
        const id = repo.name?.split('/').pop();
        if (id) ids.push(id);
      }
      return ids;
    });
  }

  /** Image paths inside a repository (`team/app`), once each however many digests they have. */
  async images(repository: string): Promise<string[]> {
    return this.withRetries(`list images of repository ${repository}`, async () => {
      const images = new Set<string>();
      const request = { parent: `${this.parent}/repositories/${repository}`, pageSize: 1000 };
      for await (const image of this.client.listDockerImagesAsync(request, this.callOptions)) {
        // `.../dockerImages/<url-encoded image>@<digest>`; the encoded path never holds '@'.
        const encoded = image.name?.split('/dockerImages/')[1]?.split('@')[0];
        if (encoded) images.add(decodeURIComponent(encoded));
      }
      return [...images];
    });
  }

  /** Runs a whole listing again after quota or availability errors, with jittered backoff. */
  private async withRetries<T>(action: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= this.retries || typeof code !== 'number' || !RETRY_CODES.has(code)) throw googleError(this.backend, action, err);
        const ceiling = BASE_DELAY_MS * 2 ** attempt;
        await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (Math.random() * ceiling) / 2));
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
