import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { listen, closeServer } from './http-util';

export interface BlobStorage {
  url: string;
  /** A presigned URL for one blob, valid for `expiresSeconds` (S3 style `X-Amz-Expires`). */
  presign(name: string, digest: string, expiresSeconds?: number): string;
  /** Every request seen, with the Authorization header it carried (there must never be one). */
  requests: { method: string; path: string; authorization?: string }[];
  readonly authorizationSeen: boolean;
  stop(): Promise<void>;
}

/**
 * Presigned object storage in front of a distribution's blobs (S3, GCS, Azure Blob stand in):
 * the signature in the URL is the only credential, and, like S3, a request that also carries
 * `Authorization` is refused (400 InvalidArgument "Only one auth mechanism allowed").
 * Bytes are piped from the registry, never buffered, and Range is passed through.
 */
export async function startBlobStorage(registryUrl: string): Promise<BlobStorage> {
  const key = randomBytes(32);
  const requests: BlobStorage['requests'] = [];
  let authorizationSeen = false;
  const sign = (path: string, expires: number): string => createHmac('sha256', key).update(`${path}\n${expires}`).digest('hex');

  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    if (req.headers.authorization) {
      authorizationSeen = true;
      return reply(res, 400, '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
    }
    const url = new URL(req.url ?? '/', 'http://storage');
    const match = /^\/blobs\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const expires = Number(url.searchParams.get('X-Amz-Expires-At'));
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    if (!match || !validSignature(sign(url.pathname, expires), signature) || Date.now() / 1000 > expires) {
      return reply(res, 403, '<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>');
    }
    // Presigned S3 URLs answer HEAD with 403; only GET is signed.
    if (req.method !== 'GET') return reply(res, 403, '<Error><Code>SignatureDoesNotMatch</Code></Error>');
    const name = decodeURIComponent(match[1]!);
    void streamFromRegistry(req, res, `${registryUrl}/v2/${name}/blobs/${match[2]}`);
  });

  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    get authorizationSeen() {
      return authorizationSeen;
    },
    presign(name, digest, expiresSeconds = 3600) {
      const path = `/blobs/${encodeURIComponent(name)}/${digest}`;
      const expiresAt = Math.floor(Date.now() / 1000) + expiresSeconds;
      return `${url}${path}?X-Amz-Expires=${expiresSeconds}&X-Amz-Expires-At=${expiresAt}&X-Amz-Signature=${sign(path, expiresAt)}`;
    },
    stop: () => closeServer(server),
  };
}

async function streamFromRegistry(req: IncomingMessage, res: ServerResponse, source: string): Promise<void> {
  const headers: Record<string, string> = {};
  if (req.headers.range) headers.range = req.headers.range;
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = request(source, { method: 'GET', headers }, resolve);
    r.on('error', reject);
    r.end();
  }).catch(() => undefined);
  if (!upstream) return reply(res, 502, '<Error><Code>InternalError</Code></Error>');
  const status = upstream.statusCode === 200 || upstream.statusCode === 206 ? upstream.statusCode : 404;
  const out: Record<string, string> = { 'content-type': 'application/octet-stream' };
  for (const h of ['content-length', 'content-range', 'accept-ranges'] as const) {
    const v = upstream.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  if (status === 404) {
    upstream.resume();
    return reply(res, 404, '<Error><Code>NoSuchKey</Code></Error>');
  }
  res.writeHead(status, out);
  await pipeline(upstream, res).catch(() => res.destroy());
}

function validSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(body);
}
