import type { Readable } from 'node:stream';

/**
 * Reads a small body whole (a manifest, a token, an error envelope), failing with `tooLarge()`
 * as soon as it passes `max` bytes: nothing unbounded is ever buffered. The rest of an
 * oversized body is dropped with the connection (`destroy`, for an upstream response) or read
 * and discarded (`drain`, for a client request that still deserves its error response).
 */
export async function readBounded(body: Readable, max: number, tooLarge: () => Error, excess: 'destroy' | 'drain' = 'destroy'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early would destroy the stream by default; `drain` must keep it readable.
  for await (const chunk of body.iterator({ destroyOnReturn: excess === 'destroy' }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      if (excess === 'destroy') body.destroy();
      else body.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
