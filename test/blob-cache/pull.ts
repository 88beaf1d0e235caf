import { createHash } from 'node:crypto';
import { get } from 'node:http';

export interface Pulled {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

export async function pull(url: string, headers: Record<string, string> = {}): Promise<Pulled> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Streams a blob GET through sha256 without keeping it: the digest, bytes seen and cache header. */
export function pullDigest(url: string, onHeaders?: () => void): Promise<{ status: number; digest: string; bytes: number; cache: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      onHeaders?.();
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, digest: `sha256:${hash.digest('hex')}`, bytes, cache: res.headers['x-gantry-cache'] as string | undefined }),
      );
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('transfer cut')));
    }).on('error', reject);
  });
}
