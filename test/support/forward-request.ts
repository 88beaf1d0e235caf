import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** Relays one request to `upstreamUrl` as it came and streams the answer back: the core of every test relay. */
export async function forwardRequest(req: IncomingMessage, res: ServerResponse, upstreamUrl: string): Promise<void> {
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
