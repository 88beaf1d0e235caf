import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { closeServer, listen } from './clouds/http-util';

/** A canned answer that replaces the registry's. */
export interface CannedAnswer {
  status: number;
  headers?: Record<string, string | undefined>;
  body?: Buffer;
}

export interface InterceptingFront {
  url: string;
  stop(): Promise<void>;
}

/**
 * A plain HTTP front to a real registry that answers some requests itself (a failure, content
 * the registry would not take) and streams every other one through unchanged. Host is kept, so
 * the registry builds upload Locations on this front.
 */
export async function startInterceptingFront(
  upstreamUrl: string,
  intercept: (method: string, path: string) => CannedAnswer | undefined,
): Promise<InterceptingFront> {
  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const canned = intercept(req.method ?? 'GET', new URL(req.url ?? '/', 'http://front').pathname);
    if (canned) {
      req.resume();
      const body = canned.body ?? Buffer.alloc(0);
      res.writeHead(canned.status, { 'content-length': String(body.length), ...canned.headers } as Record<string, string>);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const upstream = request(new URL(req.url ?? '/', upstreamUrl), { method: req.method, headers: req.headers });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    await pipeline(req, upstream);
    const upstreamRes = await response;
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    await pipeline(upstreamRes, res);
  }

  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
