import { promises as fs, type Stats } from 'node:fs';
import type { BlobStore } from './blob-store';
import { removeFile, statIfExists, writeFileAtomic } from './fs-util';
import type { StoreLayout } from './paths';

/**
 * Per-repository visibility of blobs, as in distribution: a blob is served from a repository
 * only when it was pushed, mounted or referenced there, even if another repository holds it.
 */
export class BlobLinks {
  constructor(
    private readonly layout: StoreLayout,
    private readonly blobs: BlobStore,
  ) {}

  /** An existing link gets a fresh mtime: gc leaves young links alone (see garbage-collector.ts). */
  async link(repo: string, hex: string): Promise<void> {
    const file = this.layout.layerLink(repo, hex);
    if (await statIfExists(file)) {
      const now = new Date();
      await fs.utimes(file, now, now);
      return;
    }
    await writeFileAtomic(this.layout, file, `sha256:${hex}`);
  }

  async unlink(repo: string, hex: string): Promise<boolean> {
    return removeFile(this.layout.layerLink(repo, hex));
  }

  /** The blob file when it is linked in `repo` and its content is present, else undefined. */
  async resolve(repo: string, hex: string): Promise<Stats | undefined> {
    if (!(await statIfExists(this.layout.layerLink(repo, hex)))?.isFile()) return undefined;
    return this.blobs.stat(hex);
  }
}
