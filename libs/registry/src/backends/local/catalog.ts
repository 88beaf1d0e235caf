import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { compareNames, isValidName } from '#oci';
import { isNotFound, listDir, statIfExists } from './fs-util';
import type { StoreLayout } from './paths';

/** Repository folders hold `_` folders; anything else below them is a nested repository. */
const REPO_MARKERS = ['_manifests', '_layers', '_referrers'];

/** True when anything was ever stored for `repo` (a pushed blob, a manifest, a referrer). */
export async function repositoryExists(layout: StoreLayout, repo: string): Promise<boolean> {
  const dir = layout.repoDir(repo);
  for (const marker of REPO_MARKERS) {
    if ((await statIfExists(path.join(dir, marker)))?.isDirectory()) return true;
  }
  return false;
}

/** Every repository in the store, sorted; walks the tree, skipping anything not a valid name. */
export async function findRepositories(layout: StoreLayout): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (prefix && entries.some((e) => e.isDirectory() && REPO_MARKERS.includes(e.name))) found.push(prefix);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('_')) continue;
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (isValidName(name)) await walk(path.join(dir, entry.name), name);
    }
  };
  await walk(layout.repositoriesDir, '');
  return found.sort(compareNames);
}

/** Repositories with at least one manifest: what the catalog lists. */
export async function repositoriesWithManifests(layout: StoreLayout): Promise<string[]> {
  const out: string[] = [];
  for (const repo of await findRepositories(layout)) {
    if ((await listDir(layout.revisionsDir(repo))).length > 0) out.push(repo);
  }
  return out;
}
