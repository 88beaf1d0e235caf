import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, FailureBudget, listen, parseBearer, readBody, sendJson } from './http-util';

export interface GarControlPlaneOptions {
  project: string;
  location: string;
  /** Docker-format repositories that exist in the project and location. */
  repositories: string[];
  /** The registry whose content dockerImages lists (the anonymous distribution behind the front). */
  registryUrl: string;
  /** The subject tokens (OIDC tokens of a workload) the STS endpoint accepts. */
  subjectTokens: string[];
  /** OAuth2 refresh tokens (authorized_user) the `/token` endpoint accepts. */
  refreshTokens?: string[];
  accessTokenTtlSeconds?: number;
  pageSize?: number;
}

export interface GarControlPlane {
  url: string;
  /** `token_url` of an external_account (workload identity federation) credentials file. */
  stsTokenUrl: string;
  /** Google's OAuth2 token endpoint (`oauth2TokenUrl` of an OAuth2Client). */
  oauthTokenUrl: string;
  calls: Record<string, number>;
  /** `throttle.arm(n)`: the next n API calls answer 429 RESOURCE_EXHAUSTED. */
  throttle: FailureBudget;
  checkAccessToken(token: string): boolean;
  /** Every access token issued so far, to check that none leaks. */
  issuedAccessTokens(): string[];
  /** Access tokens stop working; `andSubjects` also makes STS and OAuth refuse the identities. */
  revoke(andSubjects?: boolean): void;
  stop(): Promise<void>;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * Google's side of Artifact Registry: the STS token exchange a workload-identity credential
 * uses (RFC 8693, as google-auth-library posts it) and the Artifact Registry REST API
 * (`repositories`, `dockerImages`, `pageToken`) that @google-cloud/artifact-registry calls in
 * `fallback: 'rest'` mode. Docker images are read from the real registry's content.
 */
export async function startGarControlPlane(options: GarControlPlaneOptions): Promise<GarControlPlane> {
  const calls: Record<string, number> = {};
  const accessTokens = new Map<string, number>();
  const issued: string[] = [];
  const subjects = new Set(options.subjectTokens);
  const refreshTokens = new Set(options.refreshTokens ?? []);
  const throttle = new FailureBudget();
  const count = (op: string): void => void (calls[op] = (calls[op] ?? 0) + 1);
  const parent = `projects/${options.project}/locations/${options.location}`;

  function issue(): { token: string; ttl: number } {
    const ttl = options.accessTokenTtlSeconds ?? 3600;
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    accessTokens.set(token, Date.now() + ttl * 1000);
    issued.push(token);
    return { token, ttl };
  }

  async function sts(req: IncomingMessage, res: ServerResponse): Promise<void> {
    count('sts');
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== TOKEN_EXCHANGE || !subjects.has(form.get('subject_token') ?? '')) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'The subject token is invalid or revoked.' });
    }
    const { token, ttl } = issue();
    sendJson(res, 200, {
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: ttl,
    });
  }

  async function oauth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    count('oauth');
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== 'refresh_token' || !refreshTokens.has(form.get('refresh_token') ?? '')) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    const { token, ttl } = issue();
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: form.get('scope') ?? '' });
  }

  function googleError(res: ServerResponse, code: number, status: string, message: string): void {
    sendJson(res, code, { error: { code, message, status } });
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const token = parseBearer(req.headers.authorization);
    if (!token || !checkAccessToken(token)) {
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    if (throttle.take()) return googleError(res, 429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Requests'.");
    // Like the real API, the server caps the page size whatever the caller asks for.
    const cap = options.pageSize ?? 1000;
    const pageSize = Math.min(Number(url.searchParams.get('pageSize') || cap), cap);
    const offset = Number(url.searchParams.get('pageToken') || 0);
    const page = <T>(key: string, all: T[]): object => ({
      [key]: all.slice(offset, offset + pageSize),
      ...(offset + pageSize < all.length ? { nextPageToken: String(offset + pageSize) } : {}),
    });
    if (url.pathname === `/v1/${parent}/repositories`) {
      count('listRepositories');
      const repositories = options.repositories.map((r) => ({ name: `${parent}/repositories/${r}`, format: 'DOCKER', mode: 'STANDARD_REPOSITORY' }));
      return sendJson(res, 200, page('repositories', repositories));
    }
    const images = new RegExp(`^/v1/${parent}/repositories/([^/]+)/dockerImages$`).exec(url.pathname);
    if (images && options.repositories.includes(images[1]!)) {
      count('listDockerImages');
      return sendJson(res, 200, page('dockerImages', await dockerImages(images[1]!)));
    }
    googleError(res, 404, 'NOT_FOUND', `Requested entity was not found: ${url.pathname}`);
  }

  /** One DockerImage per manifest digest, as Artifact Registry lists them. */
  async function dockerImages(repository: string): Promise<object[]> {
    const prefix = `${options.project}/${repository}/`;
    const catalog = (await (await fetch(`${options.registryUrl}/v2/_catalog`)).json()) as { repositories?: string[] };
    const result: object[] = [];
    for (const name of (catalog.repositories ?? []).filter((n) => n.startsWith(prefix)).sort()) {
      const tags = ((await (await fetch(`${options.registryUrl}/v2/${name}/tags/list`)).json()) as { tags?: string[] }).tags ?? [];
      const byDigest = new Map<string, string[]>();
      for (const tag of tags) {
        const head = await fetch(`${options.registryUrl}/v2/${name}/manifests/${tag}`, {
          method: 'HEAD',
          headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' },
        });
        const digest = head.headers.get('docker-content-digest');
        if (digest) byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
      }
      const image = name.slice(prefix.length);
      for (const [digest, imageTags] of byDigest) {
        result.push({
          name: `${parent}/repositories/${repository}/dockerImages/${encodeURIComponent(image)}@${digest}`,
          uri: `${options.location}-docker.pkg.dev/${name}@${digest}`,
          tags: imageTags,
        });
      }
    }
    return result;
  }

  function checkAccessToken(token: string): boolean {
    const expiresAt = accessTokens.get(token);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const work = req.method === 'POST' && url.pathname === '/v1/token' ? sts(req, res)
      : req.method === 'POST' && url.pathname === '/token' ? oauth(req, res)
      : api(req, res, url);
    work.catch((err: Error) => googleError(res, 500, 'INTERNAL', err.message));
  });
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stsTokenUrl: `${url}/v1/token`,
    oauthTokenUrl: `${url}/token`,
    issuedAccessTokens: () => [...issued],
    calls,
    throttle,
    checkAccessToken,
    revoke(andSubjects = false) {
      accessTokens.clear();
      if (andSubjects) {
        subjects.clear();
        refreshTokens.clear();
      }
    },
    stop: () => closeServer(server),
  };
}
