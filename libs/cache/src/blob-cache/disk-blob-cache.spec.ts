import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiskBlobCache } from './disk-blob-cache';

function blobFile(root: string, text: string, mtimeSeconds: number): string {
  const hex = createHash('sha256').update(text).digest('hex');
  mkdirSync(join(root, 'sha256'), { recursive: true });
  const path = join(root, 'sha256', hex);
  writeFileSync(path, text);
  utimesSync(path, mtimeSeconds, mtimeSeconds);
  return `sha256:${hex}`;
}

test('the index is rebuilt from the directory at start, and last access (file mtimes) orders eviction', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gantry-disk-blob-cache-'));
  try {
    const oldest = blobFile(root, 'a'.repeat(100), 1_000);
    const newest = blobFile(root, 'b'.repeat(100), 3_000);
    const middle = blobFile(root, 'c'.repeat(100), 2_000);
    const cache = new DiskBlobCache(root, 250);
    await cache.init();
    assert.deepEqual(cache.stats(), { entries: 2, bytes: 200 });
    assert.equal(existsSync(cache.contentPath(oldest)), false, 'the least recently used went at start');
    assert.ok(existsSync(cache.contentPath(middle)) && existsSync(cache.contentPath(newest)));
    assert.equal(await cache.open(oldest), undefined);
    const open = await cache.open(middle);
    assert.equal(open?.size, 100);
    open?.release();
    await open?.file.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('temp files left by a crash long ago are removed at start; recent ones (another replica filling) stay', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gantry-disk-blob-cache-'));
  try {
    mkdirSync(join(root, 'tmp'));
    const stale = join(root, 'tmp', `sha256-${'1'.repeat(64)}.7.10`);
    const live = join(root, 'tmp', `sha256-${'2'.repeat(64)}.8.10`);
    writeFileSync(stale, 'x');
    writeFileSync(live, 'y');
    utimesSync(stale, 1_000, 1_000);
    const cache = new DiskBlobCache(root, 1000);
    await cache.init();
    assert.equal(existsSync(stale), false);
    assert.ok(existsSync(live));
    assert.deepEqual((await cache.tempsOf(`sha256:${'2'.repeat(64)}`)).map((t) => [t.token, t.size]), [['8', 10]]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
