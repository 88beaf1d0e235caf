import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file below `dir` (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Where the local store keeps a blob's content. */
export function blobDataPath(store: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return join(store, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** Blob files whose content does not hash to the digest in their path (partial or corrupt). */
export function invalidBlobFiles(store: string): string[] {
  return filesUnder(join(store, 'blobs', 'sha256')).filter((file) => {
    const match = /([a-f0-9]{64})[\\/]data$/.exec(file);
    return !match || createHash('sha256').update(readFileSync(file)).digest('hex') !== match[1];
  });
}
