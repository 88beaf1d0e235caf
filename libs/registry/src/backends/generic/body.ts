import type { Readable } from 'node:stream';

/** Reads a whole (small) body, failing with `tooLarge()` as soon as it exceeds `max` bytes. */
export async function readCapped(body: Readable, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Releases a response we do not need. Small bodies are read so the keep-alive connection can be
 * reused; big ones are destroyed (closing the socket is cheaper than downloading a layer).
 */
export async function discard(body: Readable & { dump?: (opts?: { limit: number }) => Promise<void> }): Promise<void> {
  try {
    if (typeof body.dump === 'function') await body.dump({ limit: 64 * 1024 });
    else body.destroy();
  } catch {
    // The connection is gone anyway; nothing to release.
  }
}

/** A response header as one string (undici gives arrays for repeated headers). */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
