import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { pipeline } from 'node:stream/promises';
import type { BlobStorage } from './blob-storage';
import { closeServer, FailureBudget, listen, sendOciError } from './http-util';

/** What a `/v2/...` request addresses, as a cloud's authorizer sees it. */
export interface V2Route {
  kind: 'ping' | 'catalog' | 'manifests' | 'blobs' | 'uploads' | 'tags' | 'referrers';
  repository?: string;
  action: 'pull' | 'push' | 'delete';
  /** The digest of a blob GET/HEAD. */
  digest?: string;
}

/** An answer that stops the request: a registry error envelope. */
export interface Rejection {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export interface RegistryFrontOptions {
  /** The real registry (an anonymous distribution) the front proxies to. */
  upstreamUrl: string;
  storage: BlobStorage;
  /** The cloud's own auth; undefined lets the request through. `origin` is this front's URL as the client used it. */
  authorize(req: IncomingMessage, route: V2Route, origin: string): Promise<Rejection | undefined> | Rejection | undefined;
  /** Cloud rules after auth (ECR: the repository must exist). */
  guard?(route: V2Route): Promise<Rejection | undefined> | Rejection | undefined;
  /** The registry host's own endpoints (token realm, ACR's `/acr/v1`), asked first; true when handled. */
  handle?(req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean> | boolean;
  /** Where a blob GET is redirected; default the presigned storage URL (absolute). */
  blobLocation?(route: V2Route & { repository: string; digest: string }, presigned: string): string;
  /** Also listen with TLS (the Azure SDK refuses Bearer auth over plain HTTP). */
  tls?: { key: string; cert: string };
  /** Seconds the 429 answers ask the client to wait. */
  retryAfterSeconds?: number;
  /** Cross-repository mounts are ignored (ECR without `BLOB_MOUNTING`): 202 and a plain upload session. */
  disableBlobMounting?: boolean;
}

export interface RegistryFront {
  url: string;
  /** The same front over TLS, when `tls` was given. */
  tlsUrl?: string;
  /** `throttle.arm(n)`: the next n `/v2/` requests answer 429 TOOMANYREQUESTS with Retry-After. */
  throttle: FailureBudget;
  requests: { method: string; path: string; authorization?: string }[];
  stop(): Promise<void>;
}

const ROUTE = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\/(.*)$/;

export function parseV2Route(method: string, pathname: string): V2Route | undefined {
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push';
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'ping', action: 'pull' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog', action: 'pull' };
  const match = ROUTE.exec(pathname);
  if (!match) return undefined;
  const [, repository, section, rest] = match as unknown as [string, string, string, string];
  if (section === 'blobs' && rest.startsWith('uploads')) return { kind: 'uploads', repository, action: 'push' };
  if (section === 'blobs') return { kind: 'blobs', repository, action, digest: rest };
  return { kind: section as V2Route['kind'], repository, action };
}

/**
 * A cloud registry's front door: enforces the cloud's auth, answers 429 when armed, redirects
 * blob GETs to presigned storage and streams everything else to a real distribution.
 */
export async function startRegistryFront(options: RegistryFrontOptions): Promise<RegistryFront> {
  const throttle = new FailureBudget();
  const requests: RegistryFront['requests'] = [];

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    const tls = (req.socket as TLSSocket).encrypted === true;
    const origin = `${tls ? 'https' : 'http'}://${req.headers.host}`;
    serve(req, res, origin).catch((err: Error) => {
      if (!res.headersSent) sendOciError(res, 500, 'INTERNAL', err.message);
      else res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (options.handle && (await options.handle(req, res, origin))) return;
    if (!url.pathname.startsWith('/v2')) return sendOciError(res, 404, 'NOT_FOUND', 'no such endpoint');
    const route = parseV2Route(req.method ?? 'GET', url.pathname);
    if (!route) return sendOciError(res, 404, 'NAME_UNKNOWN', 'unknown route');
    if (throttle.take()) {
      req.resume();
      return sendOciError(res, 429, 'TOOMANYREQUESTS', 'Rate exceeded', { 'retry-after': String(options.retryAfterSeconds ?? 1) });
    }
    const rejection = (await options.authorize(req, route, origin)) ?? (await options.guard?.(route));
    if (rejection) {
      req.resume();
      return sendOciError(res, rejection.status, rejection.code, rejection.message, rejection.headers);
    }
    if (route.kind === 'blobs' && req.method === 'GET' && route.repository && route.digest) {
      if (await blobExists(route.repository, route.digest)) {
        const presigned = options.storage.presign(route.repository, route.digest);
        const target = { ...route, repository: route.repository, digest: route.digest };
        res.writeHead(307, { location: options.blobLocation?.(target, presigned) ?? presigned, 'content-length': '0' });
        return void res.end();
      }
    }
    await proxy(req, res, origin);
  }

  async function blobExists(name: string, digest: string): Promise<boolean> {
    const response = await fetch(`${options.upstreamUrl}/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
    return response.status === 200;
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
    const target = new URL(req.url ?? '/', options.upstreamUrl);
    if (options.disableBlobMounting && target.searchParams.has('mount')) {
      target.searchParams.delete('mount');
      target.searchParams.delete('from');
    }
    const headers: IncomingHttpHeaders = { ...req.headers };
    // The cloud's credentials stop here; the registry behind is anonymous. Host is kept so that
    // the registry builds upload Locations on this front.
    delete headers.authorization;
    const upstream = request(target, { method: req.method, headers });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    await pipeline(req, upstream);
    const upstreamRes = await response;
    const out: IncomingHttpHeaders = { ...upstreamRes.headers };
    if (typeof out.location === 'string' && out.location.startsWith(options.upstreamUrl)) {
      out.location = origin + out.location.slice(options.upstreamUrl.length);
    }
    res.writeHead(upstreamRes.statusCode ?? 502, out as Record<string, string | string[]>);
    await pipeline(upstreamRes, res);
  }

  const server: Server = createServer(handler);
  const port = await listen(server);
  let tlsServer: TlsServer | undefined;
  let tlsUrl: string | undefined;
  if (options.tls) {
    tlsServer = createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler);
    tlsUrl = `https://127.0.0.1:${await listen(tlsServer)}`;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    tlsUrl,
    throttle,
    requests,
    async stop() {
      await closeServer(server);
      if (tlsServer) await closeServer(tlsServer);
    },
  };
}
