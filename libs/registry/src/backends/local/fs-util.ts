import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { StoreLayout } from './paths';

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export async function statIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(file);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Directory entries, or none when the directory does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** Unlinks a file; false when it was not there. */
export async function removeFile(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename durable; some platforms cannot open a directory, which is then best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Durability of the directory entry is best effort; the data itself was fsync'd.
  } finally {
    await handle?.close();
  }
}

/**
 * Renames `from` onto `target`, creating the target folder. Retries once when a concurrent
 * cleanup (gc removing an emptied blob folder) raced the mkdir.
 */
export async function renameInto(from: string, target: string): Promise<void> {
  const dir = path.dirname(target);
  for (let attempt = 0; ; attempt++) {
    await fs.mkdir(dir, { recursive: true });
    try {
      await fs.rename(from, target);
      break;
    } catch (err) {
      if (attempt > 0 || !isNotFound(err)) throw err;
    }
  }
  await fsyncDir(dir);
}

/** Readers see the old content or the new one, never a partial file. */
export async function writeFileAtomic(layout: StoreLayout, target: string, data: string | Uint8Array): Promise<void> {
  const tmp = layout.tmpFile();
  try {
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameInto(tmp, target);
  } catch (err) {
    await removeFile(tmp).catch(() => undefined);
    throw err;
  }
}

/** Removes files in `dir` whose mtime is older than `maxAgeMs`; returns how many. */
export async function removeOlderThan(dir: string, maxAgeMs: number, skip: (entry: string) => boolean = () => false): Promise<number> {
  let removed = 0;
  const now = Date.now();
  for (const entry of await listDir(dir)) {
    if (skip(entry)) continue;
    const full = path.join(dir, entry);
    const st = await statIfExists(full);
    if (!st || now - st.mtimeMs <= maxAgeMs) continue;
    await fs.rm(full, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
