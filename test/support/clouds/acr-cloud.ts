import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { startDistribution, type Distribution } from '../distribution';
import { startBlobStorage, type BlobStorage } from './blob-storage';
import { AcrTokenService } from './acr-token-service';
import { FailureBudget, parseBearer, sendJson, sendOciError } from './http-util';
import { startRegistryFront, type RegistryFront } from './registry-front';
import { createTlsCertificate } from './tls-certificate';

export interface AcrCloud {
  /** The login server name ACR puts in `service` (`<registry>.azurecr.io`). */
  service: string;
  /** Data plane over plain HTTP (`registryUrl` of the backend). */
  registryUrl: string;
  /** The same host over TLS (`apiEndpoint`: the Azure SDK refuses Bearer auth over http). */
  apiEndpoint: string;
  /** PEM of the self-signed certificate the SDK must trust. */
  caCert: string;
  caCertPath: string;
  /** Valid AAD access tokens; a test's TokenCredential hands one out, clearing revokes them. */
  aadTokens: Set<string>;
  admin: { username: string; password: string };
  tokens: AcrTokenService;
  /** `apiThrottle.arm(n)`: the next n `/acr/v1` calls answer 429 TOOMANYREQUESTS. */
  apiThrottle: FailureBudget;
  front: RegistryFront;
  storage: BlobStorage;
  distribution: Distribution;
  stop(): Promise<void>;
}

/**
 * An Azure Container Registry: Bearer challenges with realm `/oauth2/token` and
 * `service=<login server>`, the AAD exchange, an admin user, the `/acr/v1` catalog and tags
 * API, and blobs redirected to presigned "Azure Blob" URLs.
 */
export async function startAcrCloud(options: { refreshTokenTtlSeconds?: number; accessTokenTtlSeconds?: number } = {}): Promise<AcrCloud> {
  const service = 'gantrytest.azurecr.io';
  const admin = { username: 'gantrytest', password: 'acr-admin-pw-91c2e8' };
  const aadTokens = new Set<string>();
  const certificate = createTlsCertificate();
  const distribution = await startDistribution({ kind: 'none' });
  const storage = await startBlobStorage(distribution.url);
  const tokens = new AcrTokenService({ service, aadTokens, basicUsers: { [admin.username]: admin.password }, ...options });
  const apiThrottle = new FailureBudget();

  const challenge = (origin: string, scope: string): Record<string, string> => ({
    'www-authenticate': `Bearer realm="${origin}/oauth2/token",service="${service}"${scope ? `,scope="${scope}"` : ''}`,
  });

  async function acrApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://x');
    const catalog = url.pathname === '/acr/v1/_catalog';
    const tags = /^\/acr\/v1\/(.+)\/_tags$/.exec(url.pathname);
    if (!catalog && !tags) return false;
    const origin = `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://${req.headers.host}`;
    if (apiThrottle.take()) {
      sendOciError(res, 429, 'TOOMANYREQUESTS', 'too many requests', { 'retry-after': '1' });
      return true;
    }
    const [type, name, action] = catalog ? ['registry', 'catalog', '*'] : ['repository', tags![1]!, 'metadata_read'];
    const access = await tokens.verifyAccess(parseBearer(req.headers.authorization));
    const actions = access?.get(`${type}:${name}`);
    if (!actions || !(actions.has(action) || actions.has('*'))) {
      sendOciError(res, 401, 'UNAUTHORIZED', 'authentication required', challenge(origin, `${type}:${name}:${action}`));
      return true;
    }
    const all = catalog
      ? (((await (await fetch(`${distribution.url}/v2/_catalog`)).json()) as { repositories?: string[] }).repositories ?? [])
      : (((await (await fetch(`${distribution.url}/v2/${name}/tags/list`)).json()) as { tags?: string[] }).tags ?? []);
    all.sort();
    const last = url.searchParams.get('last');
    const n = Number(url.searchParams.get('n') || 100);
    const from = last ? all.filter((v) => v > last) : all;
    const page = from.slice(0, n);
    const headers: Record<string, string> = {};
    if (from.length > n) headers.link = `<${url.pathname}?last=${encodeURIComponent(page[page.length - 1]!)}&n=${n}>; rel="next"`;
    if (catalog) sendJson(res, 200, { repositories: page }, headers);
    else sendJson(res, 200, { registry: service, imageName: name, tags: page.map((t) => ({ name: t })) }, headers);
    return true;
  }

  const front = await startRegistryFront({
    upstreamUrl: distribution.url,
    storage,
    tls: certificate,
    async handle(req, res) {
      return (await tokens.handle(req, res)) || (await acrApi(req, res));
    },
    async authorize(req, route, origin) {
      const access = await tokens.verifyAccess(parseBearer(req.headers.authorization));
      if (!route.repository) {
        if (route.kind === 'ping' && access) return undefined;
        const scope = route.kind === 'catalog' ? 'registry:catalog:*' : '';
        if (route.kind === 'catalog' && access?.get('registry:catalog')?.has('*')) return undefined;
        return { status: 401, code: 'UNAUTHORIZED', message: 'authentication required', headers: challenge(origin, scope) };
      }
      const needed = route.action === 'pull' ? 'pull' : route.action;
      const actions = access?.get(`repository:${route.repository}`);
      if (actions && (actions.has(needed) || actions.has('*'))) return undefined;
      const scope = `repository:${route.repository}:${route.action === 'pull' ? 'pull' : `pull,${route.action}`}`;
      return { status: 401, code: 'UNAUTHORIZED', message: 'authentication required', headers: challenge(origin, scope) };
    },
  });

  return {
    service, admin, aadTokens, tokens, apiThrottle, front, storage, distribution,
    registryUrl: front.url,
    apiEndpoint: front.tlsUrl!,
    caCert: certificate.cert,
    caCertPath: certificate.certPath,
    async stop() {
      await front.stop();
      await storage.stop();
      await distribution.stop();
      certificate.remove();
    },
  };
}
