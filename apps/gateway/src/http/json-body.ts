import type { IncomingMessage } from 'node:http';
import { OciError, readBounded } from '#oci';

/** Reads a small JSON request body (the admin API's), capped at `limit` bytes; 400 when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const tooLarge = (): OciError => new OciError('UNSUPPORTED', `request body exceeds ${limit} bytes`, { status: 413 });
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    throw tooLarge();
  }
  const body = await readBounded(req, limit, tooLarge, 'drain');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new OciError('UNSUPPORTED', 'the request body must be JSON', { status: 400 });
  }
}
