import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDistribution, type Distribution } from '../distribution';
import { tempDir } from '../temp';
import { startBlobStorage, type BlobStorage } from './blob-storage';
import { startGarControlPlane, type GarControlPlane } from './gar-control-plane';
import { parseBasic, parseBearer, sendJson, sendOciError } from './http-util';
import { startRegistryFront, type RegistryFront } from './registry-front';
import { RegistryTokens } from './registry-tokens';

export interface GarCloud {
  project: string;
  location: string;
  repositories: string[];
  /** `<location>-docker.pkg.dev` stand-in (`registryUrl` of the backend). */
  registryUrl: string;
  /** Artifact Registry API `http://host:port` (`apiEndpoint` of the backend; http selects plain HTTP). */
  apiEndpoint: string;
  /** An external_account (workload identity federation) credentials file whose STS is the stand-in. */
  credentialsFile: string;
  /** The workload's OIDC token that file points at. */
  subjectToken: string;
  /** An authorized_user refresh token the OAuth2 endpoint accepts (for an injected OAuth2Client). */
  userRefreshToken: string;
  controlPlane: GarControlPlane;
  front: RegistryFront;
  registryTokens: RegistryTokens;
  storage: BlobStorage;
  distribution: Distribution;
  stop(): Promise<void>;
}

/**
 * A Google Cloud project's Artifact Registry in one location: Docker repositories
 * `<project>/<repository>/<image>`, a token realm at `/v2/token` taking
 * `oauth2accesstoken:<OAuth2 access token>`, blob GETs answered with a relative redirect to
 * `/artifacts-downloads/...` that lands on presigned storage, and workload identity
 * federation through an STS stand-in.
 */
export async function startGarCloud(options: { accessTokenTtlSeconds?: number; pageSize?: number } = {}): Promise<GarCloud> {
  const project = 'gantry-test';
  const location = 'europe-west1';
  const repositories = ['images', 'mirror'];
  const dir = tempDir('gar-cloud');
  const distribution = await startDistribution({ kind: 'none' });
  const storage = await startBlobStorage(distribution.url);
  const subjectToken = `eyJ.workload-oidc.${randomBytes(12).toString('hex')}`;
  const userRefreshToken = `1//user-refresh-${randomBytes(12).toString('hex')}`;
  const controlPlane = await startGarControlPlane({
    project, location, repositories, registryUrl: distribution.url, subjectTokens: [subjectToken], refreshTokens: [userRefreshToken],
    accessTokenTtlSeconds: options.accessTokenTtlSeconds, pageSize: options.pageSize,
  });
  const registryTokens = new RegistryTokens();
  const downloads = new Map<string, string>();

  const front = await startRegistryFront({
    upstreamUrl: distribution.url,
    storage,
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v2/token' && req.method === 'GET') {
        const basic = parseBasic(req.headers.authorization);
        if (basic && !(basic.username === 'oauth2accesstoken' && controlPlane.checkAccessToken(basic.password))) {
          sendOciError(res, 401, 'UNAUTHORIZED', 'failed authentication: invalid credentials');
          return true;
        }
        // Anonymous callers get a token without access, as for a private repository.
        const { token, expiresIn } = registryTokens.issue(basic ? url.searchParams.getAll('scope') : []);
        sendJson(res, 200, { token, expires_in: expiresIn });
        return true;
      }
      const download = /^\/artifacts-downloads\/.+\/downloads\/([^/]+)$/.exec(url.pathname);
      if (download && req.method === 'GET') {
        const target = downloads.get(download[1]!);
        res.writeHead(target ? 307 : 404, target ? { location: target } : {});
        res.end();
        return true;
      }
      return false;
    },
    authorize(req, route, origin) {
      const token = parseBearer(req.headers.authorization);
      const scope = route.repository ? `,scope="repository:${route.repository}:${route.action === 'pull' ? 'pull' : 'pull,push'}"` : '';
      // Artifact Registry's challenge carries no `service`.
      const challenge = { 'www-authenticate': `Bearer realm="${origin}/v2/token"${scope}` };
      const verdict = registryTokens.check(token, 'repository', route.repository, route.action === 'delete' ? 'push' : route.action);
      if (verdict === 'valid') return undefined;
      return { status: 401, code: 'UNAUTHORIZED', message: 'Authentication required.', headers: challenge };
    },
    guard(route) {
      if (!route.repository) return undefined;
      const [p, r] = route.repository.split('/');
      if (p === project && repositories.includes(r ?? '') && route.repository.split('/').length >= 3) return undefined;
      return { status: 404, code: 'NAME_UNKNOWN', message: `Repository "${r}" not found` };
    },
    blobLocation(route, presigned) {
      const id = randomBytes(16).toString('hex');
      downloads.set(id, presigned);
      const [p, r] = route.repository.split('/');
      return `/artifacts-downloads/namespaces/${p}/repositories/${r}/downloads/${id}`;
    },
  });

  const subjectTokenFile = join(dir.path, 'oidc-token');
  writeFileSync(subjectTokenFile, subjectToken);
  const credentialsFile = join(dir.path, 'wif.json');
  writeFileSync(credentialsFile, JSON.stringify({
    type: 'external_account',
    audience: `//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/gantry/providers/k8s`,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: controlPlane.stsTokenUrl,
    credential_source: { file: subjectTokenFile },
  }));

  return {
    project, location, repositories, controlPlane, front, registryTokens, storage, distribution,
    credentialsFile, subjectToken, userRefreshToken,
    registryUrl: front.url,
    apiEndpoint: controlPlane.url,
    async stop() {
      await front.stop();
      await controlPlane.stop();
      await storage.stop();
      await distribution.stop();
      dir.remove();
    },
  };
}
