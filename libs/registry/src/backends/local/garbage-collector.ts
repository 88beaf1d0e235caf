/**
 * Garbage collection of the local store: mark every manifest reachable from a tag (through index
 * children, and through referrers of anything kept), plus their blobs; sweep the rest.
 *
 * Safety while the server runs: nothing younger than `graceSeconds` (default one hour) is ever
 * deleted, judged by the file's mtime just before deleting it. A push writes blobs first and its
 * manifest last, and the server refreshes a blob's mtime whenever it is stat'ed, mounted or
 * referenced by a new manifest, so an in-progress push always falls inside the grace window;
 * upload sessions are never touched (they expire on their own). Keep `graceSeconds` well above
 * the longest push and above 10 minutes (how often the server refreshes those mtimes).
 */
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestVerifier, referencesOf } from '#oci';
import { discard } from './blob-store';
import { findRepositories } from './catalog';
import { listDir, readIfExists, removeFile, statIfExists } from './fs-util';
import { SHA256_HEX, StoreLayout, trySha256Hex } from './paths';

export interface GcOptions {
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** Re-hash every blob; corrupt ones are reported and (unless dry-run) removed. */
  verify?: boolean;
  /** Nothing modified more recently than this is deleted. Default 3600. */
  graceSeconds?: number;
  /** Told after each repository is marked and each blob is swept (for a progress display). */
  onProgress?: (progress: GcProgress) => void;
}

/** Where a collection is: `mark` counts repositories, `sweep` counts blobs. */
export interface GcProgress {
  phase: 'mark' | 'sweep';
  done: number;
  total: number;
}

export interface GcReport {
  dryRun: boolean;
  repositories: number;
  manifestsMarked: number;
  blobsMarked: number;
  /** `repo@digest` of each manifest revision removed (or that would be). */
  manifestsDeleted: string[];
  /** Digests of blobs removed (or that would be). */
  blobsDeleted: string[];
  /** Digests whose content does not hash to their name (with `verify`). */
  corrupt: string[];
  bytesFreed: number;
}

export async function collectGarbage(storePath: string, options: GcOptions = {}): Promise<GcReport> {
  const layout = new StoreLayout(storePath);
  const dryRun = options.dryRun ?? false;
  const graceMs = (options.graceSeconds ?? 3600) * 1000;
  const isOld = async (file: string): Promise<boolean> => {
    const st = await statIfExists(file);
    return st !== undefined && (graceMs === 0 || Date.now() - st.mtimeMs > graceMs);
  };
  const report: GcReport = {
    dryRun,
    repositories: 0,
    manifestsMarked: 0,
    blobsMarked: 0,
    manifestsDeleted: [],
    blobsDeleted: [],
    corrupt: [],
    bytesFreed: 0,
  };

  const markedBlobs = new Set<string>();
  const repos = await findRepositories(layout);
  report.repositories = repos.length;
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'mark', done: 0, total: repos.length });
  for (const [done, repo] of repos.entries()) {
    const revisions = (await listDir(layout.revisionsDir(repo))).filter((e) => SHA256_HEX.test(e));
    const kept = await markRepository(layout, repo, revisions, markedBlobs, isOld);
    report.manifestsMarked += kept.size;
    for (const hex of revisions) {
      if (kept.has(hex) || !(await isOld(layout.revisionFile(repo, hex)))) continue;
      report.manifestsDeleted.push(`${repo}@sha256:${hex}`);
      if (dryRun) continue;
      await removeReferrerRecords(layout, repo, hex);
      await removeFile(layout.revisionFile(repo, hex));
    }
    progress({ phase: 'mark', done: done + 1, total: repos.length });
  }
  report.blobsMarked = markedBlobs.size;

  const removedBlobs = new Set<string>();
  const blobs = await allBlobs(layout);
  progress({ phase: 'sweep', done: 0, total: blobs.length });
  for (const [done, hex] of blobs.entries()) {
    // Counted at the top, for the blob before: the `continue`s below skip the loop's end.
    if (done > 0) progress({ phase: 'sweep', done, total: blobs.length });
    const data = layout.blobData(hex);
    const st = await statIfExists(data);
    if (!st) continue;
    if (!markedBlobs.has(hex) && (await isOld(data))) {
      report.blobsDeleted.push(`sha256:${hex}`);
      report.bytesFreed += st.size;
      if (!dryRun) await removeBlob(layout, hex);
      removedBlobs.add(hex);
    } else if (options.verify && !(await hashesTo(data, hex))) {
      report.corrupt.push(`sha256:${hex}`);
      report.bytesFreed += st.size;
      if (!dryRun) await removeBlob(layout, hex);
      removedBlobs.add(hex);
    }
  }
  progress({ phase: 'sweep', done: blobs.length, total: blobs.length });
  if (!dryRun) await removeDanglingLinks(layout, repos, removedBlobs, isOld);
  return report;
}

/**
 * Marks the manifests of one repository: roots are tags plus revisions still inside the grace
 * window (children of an index are pushed before the index that tags them). Returns the kept
 * manifest hexes; marks their blobs (and the manifests' own content) in `markedBlobs`.
 */
async function markRepository(
  layout: StoreLayout,
  repo: string,
  revisions: string[],
  markedBlobs: Set<string>,
  isOld: (file: string) => Promise<boolean>,
): Promise<Set<string>> {
  const queue: string[] = [];
  for (const tag of await listDir(layout.tagsDir(repo))) {
    const raw = await readIfExists(path.join(layout.tagsDir(repo), tag));
    const hex = raw && trySha256Hex(raw.toString('utf8').trim());
    if (hex) queue.push(hex);
  }
  for (const hex of revisions) {
    if (!(await isOld(layout.revisionFile(repo, hex)))) queue.push(hex);
  }

  const kept = new Set<string>();
  const revisionSet = new Set(revisions);
  while (queue.length > 0) {
    const hex = queue.pop()!;
    if (kept.has(hex) || !revisionSet.has(hex)) continue;
    kept.add(hex);
    markedBlobs.add(hex);
    for (const referrer of await listDir(layout.referrersDir(repo, hex))) {
      if (SHA256_HEX.test(referrer)) queue.push(referrer);
    }
    const bytes = await readIfExists(layout.blobData(hex));
    if (!bytes) continue;
    // Read leniently: a manifest stored before today's validation still keeps what it references.
    const references = referencesOf(bytes);
    if (!references) continue; // unreadable manifest: keep it, but it can keep nothing else
    for (const digest of references.blobs) {
      const blobHex = trySha256Hex(digest);
      if (blobHex) markedBlobs.add(blobHex);
    }
    for (const digest of references.manifests) {
      const childHex = trySha256Hex(digest);
      if (childHex) queue.push(childHex);
    }
  }
  return kept;
}

async function allBlobs(layout: StoreLayout): Promise<string[]> {
  const out: string[] = [];
  for (const prefix of await listDir(layout.blobsDir)) {
    if (!/^[a-f0-9]{2}$/.test(prefix)) continue;
    for (const hex of await listDir(path.join(layout.blobsDir, prefix))) {
      if (SHA256_HEX.test(hex) && hex.startsWith(prefix)) out.push(hex);
    }
  }
  return out;
}

async function hashesTo(file: string, hex: string): Promise<boolean> {
  try {
    await pipeline(createReadStream(file), new DigestVerifier(`sha256:${hex}`), discard());
    return true;
  } catch {
    return false;
  }
}

async function removeBlob(layout: StoreLayout, hex: string): Promise<void> {
  await removeFile(layout.blobData(hex));
  // Only empty folders go: a push racing us may have just renamed new content in.
  await fs.rmdir(layout.blobDir(hex)).catch(() => undefined);
}

async function removeReferrerRecords(layout: StoreLayout, repo: string, hex: string): Promise<void> {
  const root = layout.referrersRoot(repo);
  for (const subject of await listDir(root)) {
    if (!SHA256_HEX.test(subject)) continue;
    if (await removeFile(layout.referrerFile(repo, subject, hex))) await fs.rmdir(path.join(root, subject)).catch(() => undefined);
  }
}

/** Links to swept blobs would only answer BLOB_UNKNOWN; drop them unless the blob was just re-pushed. */
async function removeDanglingLinks(
  layout: StoreLayout,
  repos: string[],
  removed: Set<string>,
  isOld: (file: string) => Promise<boolean>,
): Promise<void> {
  if (removed.size === 0) return;
  for (const repo of repos) {
    for (const hex of await listDir(layout.layersDir(repo))) {
      if (!removed.has(hex) || (await statIfExists(layout.blobData(hex))) || !(await isOld(layout.layerLink(repo, hex)))) continue;
      await removeFile(layout.layerLink(repo, hex));
    }
  }
}
