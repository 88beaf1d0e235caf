import type { IncomingMessage } from 'node:http';
import { OciError, readBounded } from '#oci';

/** Reads a small body (a manifest) with a hard cap; larger bodies are refused while streaming. */
export async function readCappedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new OciError('MANIFEST_TOO_LARGE', `manifest of ${declared} bytes exceeds the ${limit}-byte limit`);
  }
  return readBounded(req, limit, () => new OciError('MANIFEST_TOO_LARGE', `manifest exceeds the ${limit}-byte limit`), 'drain');
}

/** Content-Length when the client sent a valid one. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new OciError('SIZE_INVALID', 'invalid Content-Length');
  return Number(value);
}

/** True when a request carries a body (a length above zero, or chunked encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}
