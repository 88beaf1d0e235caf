import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen } from './clouds/http-util';
import { forwardRequest } from './forward-request';

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
    await forwardRequest(req, res, upstreamUrl);
  }

  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
