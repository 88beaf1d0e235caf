import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectGarbage, type GcProgress } from './garbage-collector';
import { blob, blobFile, body, filesUnder, fixture, indexOf, pushImage, rejectsWith, type Fixture } from './spec-helpers';

describe('local backend: garbage collection', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  /** A tagged index with its child, a referrer of the index, an orphan manifest and a lone blob. */
  async function populate() {
    const r = f.registry;
    const child = await pushImage(r, 'app');
    await r.putManifest('app', child.digest, child);
    const index = indexOf([child]);
    await r.putManifest('app', 'v1', index);
    const sig = await pushImage(r, 'app', { subject: index, artifactType: 'application/vnd.dev.cosign' });
    await r.putManifest('app', sig.digest, sig);
    const orphan = await pushImage(r, 'app');
    await r.putManifest('app', 'old', orphan);
    await r.deleteManifest('app', 'old'); // untagged: unreachable now
    const lone = blob(64);
    await r.putBlob('app', lone.digest, body(lone.bytes));
    const uploading = await r.startUpload('app');
    await r.writeChunk('app', uploading.handle, { body: body('partial'), offset: 0 });
    return { child, index, sig, orphan, lone, uploading };
  }

  test('reports progress: each repository marked, then each blob swept, in order', async () => {
    await populate();
    await pushImage(f.registry, 'other').then((m) => f.registry.putManifest('other', 'v1', m));
    const events: GcProgress[] = [];
    await collectGarbage(f.store, { graceSeconds: 0, onProgress: (p) => events.push({ ...p }) });
    const marks = events.filter((e) => e.phase === 'mark');
    const sweeps = events.filter((e) => e.phase === 'sweep');
    assert.deepEqual(marks, [0, 1, 2].map((done) => ({ phase: 'mark', done, total: 2 })));
    assert.deepEqual(events, [...marks, ...sweeps], 'every mark event comes before the sweep');
    const total = sweeps[0]!.total;
    assert.ok(total > 0);
    assert.deepEqual(sweeps, Array.from({ length: total + 1 }, (_, done) => ({ phase: 'sweep', done, total })));
  });

  test('removes what no tag reaches and keeps what it does, referrers included', async () => {
    const { child, index, sig, orphan, lone, uploading } = await populate();
    const report = await collectGarbage(f.store, { graceSeconds: 0 });
    assert.equal(report.dryRun, false);
    assert.deepEqual(report.manifestsDeleted, [`app@${orphan.digest}`]);
    assert.deepEqual([...report.blobsDeleted].sort(), [orphan.digest, orphan.config, orphan.layer, lone.digest].sort());
    assert.ok(report.bytesFreed > 500);
    assert.equal(report.manifestsMarked, 3);

    const r = f.registry;
    for (const m of [child, index, sig]) assert.equal((await r.getManifest('app', m.digest, [])).digest, m.digest);
    for (const d of [child.layer, child.config, sig.layer, sig.config]) assert.ok((await r.statBlob('app', d)).size > 0);
    await rejectsWith(r.getManifest('app', orphan.digest, []), 'MANIFEST_UNKNOWN');
    await rejectsWith(r.statBlob('app', lone.digest), 'BLOB_UNKNOWN');
    assert.deepEqual((await r.listReferrers('app', index.digest)).manifests.map((d) => d.digest), [sig.digest]);
    // Upload sessions are not gc's business.
    await r.writeChunk('app', uploading.handle, { body: body('!'), offset: 7 });
  });

  test('dry run reports the same and deletes nothing', async () => {
    const { orphan, lone } = await populate();
    const before = await filesUnder(f.store);
    const report = await collectGarbage(f.store, { graceSeconds: 0, dryRun: true });
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.manifestsDeleted, [`app@${orphan.digest}`]);
    assert.ok(report.blobsDeleted.includes(lone.digest));
    assert.deepEqual(await filesUnder(f.store), before);
  });

  test('nothing younger than the grace period is deleted', async () => {
    await populate();
    const before = await filesUnder(f.store);
    const report = await collectGarbage(f.store, {});
    assert.deepEqual(report.manifestsDeleted, []);
    assert.deepEqual(report.blobsDeleted, []);
    assert.deepEqual(await filesUnder(f.store), before);
  });

  test('a blob whose upload ended long after its last chunk is still inside the grace window', async () => {
    const r = f.registry;
    const b = blob(100);
    const { handle } = await r.startUpload('app');
    await r.writeChunk('app', handle, { body: body(b.bytes), offset: 0 });
    const id = (JSON.parse(handle) as { id: string }).id;
    const old = new Date(Date.now() - 1800_000);
    await fs.utimes(path.join(f.store, 'uploads', id, 'data'), old, old);
    await r.finishUpload('app', handle, b.digest);
    const report = await collectGarbage(f.store, { graceSeconds: 600 });
    assert.deepEqual(report.blobsDeleted, []);
    assert.equal((await r.statBlob('app', b.digest)).size, 100);
  });

  test('untagging the subject lets its referrers go too', async () => {
    const { index, sig } = await populate();
    await f.registry.deleteManifest('app', 'v1');
    const report = await collectGarbage(f.store, { graceSeconds: 0 });
    assert.ok(report.manifestsDeleted.includes(`app@${index.digest}`));
    assert.ok(report.manifestsDeleted.includes(`app@${sig.digest}`));
    assert.deepEqual(await filesUnder(path.join(f.store, 'blobs')), []);
  });

  test('verify reports and removes corrupt blobs', async () => {
    const { child } = await populate();
    await fs.writeFile(blobFile(f.store, child.layer), 'garbage');
    const report = await collectGarbage(f.store, { graceSeconds: 0, verify: true });
    assert.deepEqual(report.corrupt, [child.layer]);
    await assert.rejects(fs.stat(blobFile(f.store, child.layer)));
    await rejectsWith((await f.reopen()).statBlob('app', child.layer), 'BLOB_UNKNOWN');
  });
});
