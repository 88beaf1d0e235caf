import type { Readable } from 'node:stream';

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
