import type { Logger } from 'pino';
import { assertValidName } from '#oci';
import type { BackendOfType } from '#config';
import type { BackendSharedState, Registry } from '../../port';
import { GenericRegistry, staticCredentialsFrom, type UpstreamReply } from '../generic';

export const DOCKER_HUB_URL = 'https://registry-1.docker.io';
/** Hub's token service; its challenge realm is `https://auth.docker.io/token`. */
export const DOCKER_HUB_REALM_HOSTS = ['auth.docker.io'];

/**
 * Docker Hub: a v2 registry with official images under `library/`, a separate token service,
 * rate limits reported in headers, no catalog and no referrers API (tag schema only).
 */
export class DockerHubRegistry extends GenericRegistry {
  constructor(name: string, config: BackendOfType<'dockerhub'>, logger: Logger, shared: BackendSharedState = {}) {
    super({
      name,
      type: config.type,
      url: config.url ?? DOCKER_HUB_URL,
      credentials: staticCredentialsFrom(config.credentials),
      allowedRealmHosts: [...DOCKER_HUB_REALM_HOSTS, ...(config.allowedRealmHosts ?? [])],
      blobMode: config.blobs,
      timeouts: config.timeouts,
      retries: config.retries,
      circuitBreaker: config.circuitBreaker,
      logger,
      referrers: 'tag-schema',
      catalog: false,
      shared,
    });
  }

  /** `alpine` is `library/alpine` on Hub. */
  protected override upstreamName(repo: string): string {
    assertValidName(repo);
    return repo.includes('/') ? repo : `library/${repo}`;
  }

  /** Limits change without notice: surface what Hub says, and log it so operators see it coming. */
  protected override upstreamHeadersOf(reply: UpstreamReply): Record<string, string> | undefined {
    const headers = super.upstreamHeadersOf(reply);
    if (headers) {
      this.logger.info(
        { limit: headers['ratelimit-limit'], remaining: headers['ratelimit-remaining'], source: headers['docker-ratelimit-source'] },
        'docker hub rate limit',
      );
    }
    return headers;
  }
}

export function createDockerHubRegistry(name: string, config: BackendOfType<'dockerhub'>, logger: Logger, shared: BackendSharedState = {}): Registry {
  return new DockerHubRegistry(name, config, logger, shared);
}
