import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { blob, blobFile, body, filesUnder, fixture, readAll, rejectsWith, type Fixture } from './spec-helpers';

describe('local backend: blobs', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('monolithic push, then stat and get in that repository only', async () => {
    const b = blob(4096);
    await f.registry.putBlob('app/web', b.digest, body(b.bytes), b.bytes.length);
    assert.deepEqual(await f.registry.statBlob('app/web', b.digest), { digest: b.digest, size: 4096 });
    const got = await f.registry.getBlob('app/web', b.digest);
    assert.equal(got.kind, 'stream');
    if (got.kind === 'stream') assert.deepEqual(await readAll(got.stream), b.bytes);
    // Present in the store, but not linked in another repository.
    await rejectsWith(f.registry.statBlob('other', b.digest), 'BLOB_UNKNOWN');
    await rejectsWith(f.registry.getBlob('other', b.digest), 'BLOB_UNKNOWN');
  });

  test('a digest mismatch or short body stores nothing', async () => {
    const b = blob(100);
    const wrong = blob(100).digest;
    await rejectsWith(f.registry.putBlob('app', wrong, body(b.bytes)), 'DIGEST_INVALID');
    await rejectsWith(f.registry.putBlob('app', b.digest, body(b.bytes), 99), 'SIZE_INVALID');
    await rejectsWith(f.registry.statBlob('app', wrong), 'BLOB_UNKNOWN');
    await rejectsWith(f.registry.statBlob('app', b.digest), 'BLOB_UNKNOWN');
    assert.deepEqual(await filesUnder(path.join(f.store, 'blobs')), []);
    assert.deepEqual(await filesUnder(path.join(f.store, 'tmp')), []);
  });

  test('only sha256 digests are accepted', async () => {
    const sha512 = `sha512:${'a'.repeat(128)}`;
    await rejectsWith(f.registry.putBlob('app', sha512, body('x')), 'DIGEST_INVALID');
    await rejectsWith(f.registry.statBlob('app', sha512), 'DIGEST_INVALID');
    await rejectsWith(f.registry.statBlob('app', 'sha256:zz'), 'DIGEST_INVALID');
  });

  test('chunked upload, resumed by a new instance on the same path', async () => {
    const b = blob(3000);
    const { handle } = await f.registry.startUpload('app');
    let progress = await f.registry.writeChunk('app', handle, { body: body(b.bytes.subarray(0, 1000)), offset: 0, length: 1000 });
    assert.equal(progress.size, 1000);
    await rejectsWith(
      f.registry.writeChunk('app', handle, { body: body(b.bytes.subarray(2000)), offset: 2000 }),
      'RANGE_INVALID',
      416,
    );

    const restarted = await f.reopen();
    progress = await restarted.writeChunk('app', handle, { body: body(b.bytes.subarray(1000, 2000)), offset: 1000 });
    assert.equal(progress.size, 2000);
    await restarted.finishUpload('app', handle, b.digest, { body: body(b.bytes.subarray(2000)), offset: 2000 });
    assert.equal((await restarted.statBlob('app', b.digest)).size, 3000);
    assert.deepEqual(await fs.readdir(path.join(f.store, 'uploads')), []);
    await rejectsWith(restarted.writeChunk('app', handle, { body: body('x'), offset: 3000 }), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a short chunk is taken back off so the client can resume', async () => {
    const { handle } = await f.registry.startUpload('app');
    await rejectsWith(f.registry.writeChunk('app', handle, { body: body('abc'), offset: 0, length: 10 }), 'SIZE_INVALID');
    const progress = await f.registry.writeChunk('app', handle, { body: body('abc'), offset: 0, length: 3 });
    assert.equal(progress.size, 3);
  });

  test('finishing with the wrong digest changes nothing', async () => {
    const b = blob(500);
    const { handle } = await f.registry.startUpload('app');
    await f.registry.writeChunk('app', handle, { body: body(b.bytes.subarray(0, 200)), offset: 0 });
    const wrong = blob(1).digest;
    await rejectsWith(
      f.registry.finishUpload('app', handle, wrong, { body: body(b.bytes.subarray(200)), offset: 200 }),
      'DIGEST_INVALID',
    );
    await rejectsWith(f.registry.statBlob('app', wrong), 'BLOB_UNKNOWN');
    await rejectsWith(f.registry.statBlob('app', b.digest), 'BLOB_UNKNOWN');
    assert.deepEqual(await filesUnder(path.join(f.store, 'blobs')), []);
    // The session is as it was before the call: the last chunk can be sent again.
    await f.registry.finishUpload('app', handle, b.digest, { body: body(b.bytes.subarray(200)), offset: 200 });
    assert.equal((await f.registry.statBlob('app', b.digest)).size, 500);
  });

  test('unknown, foreign-repo, malformed and cancelled handles are BLOB_UPLOAD_UNKNOWN', async () => {
    const { handle } = await f.registry.startUpload('app');
    await rejectsWith(f.registry.writeChunk('other', handle, { body: body('x'), offset: 0 }), 'BLOB_UPLOAD_UNKNOWN');
    for (const bad of ['nope', '{}', '{"id":"../../etc"}', JSON.stringify({ id: '00000000-0000-4000-8000-000000000000' })]) {
      await rejectsWith(f.registry.writeChunk('app', bad, { body: body('x'), offset: 0 }), 'BLOB_UPLOAD_UNKNOWN');
    }
    await f.registry.cancelUpload('app', handle);
    await rejectsWith(f.registry.finishUpload('app', handle, blob(1).digest), 'BLOB_UPLOAD_UNKNOWN');
    await rejectsWith(f.registry.cancelUpload('app', handle), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('expired sessions are unknown and swept at startup', async () => {
    const { handle } = await f.registry.startUpload('app');
    const id = (JSON.parse(handle) as { id: string }).id;
    const old = new Date(Date.now() - 7200_000);
    await fs.utimes(path.join(f.store, 'uploads', id, 'data'), old, old);
    await rejectsWith(f.registry.writeChunk('app', handle, { body: body('x'), offset: 0 }), 'BLOB_UPLOAD_UNKNOWN');

    const second = await f.registry.startUpload('app');
    const secondId = (JSON.parse(second.handle) as { id: string }).id;
    await fs.utimes(path.join(f.store, 'uploads', secondId, 'data'), old, old);
    await f.reopen();
    assert.deepEqual(await fs.readdir(path.join(f.store, 'uploads')), []);
  });

  test('range reads, and unsatisfiable ranges are 416', async () => {
    const b = blob(1000);
    await f.registry.putBlob('app', b.digest, body(b.bytes));
    const restarted = await f.reopen(); // unverified in this process: a range forces a full check first
    const got = await restarted.getBlob('app', b.digest, { start: 100, end: 199 });
    assert.ok(got.kind === 'stream');
    assert.deepEqual(got.range, { start: 100, end: 199 });
    assert.equal(got.size, 1000);
    assert.deepEqual(await readAll(got.stream), b.bytes.subarray(100, 200));

    const tail = await restarted.getBlob('app', b.digest, { start: 900, end: 5000 });
    assert.ok(tail.kind === 'stream');
    assert.deepEqual(tail.range, { start: 900, end: 999 });
    assert.deepEqual(await readAll(tail.stream), b.bytes.subarray(900));

    await rejectsWith(restarted.getBlob('app', b.digest, { start: 1000 }), 'RANGE_INVALID', 416);
    await rejectsWith(restarted.getBlob('app', b.digest, { start: 10, end: 5 }), 'RANGE_INVALID', 416);
  });

  test('a corrupt blob fails its first read after start and is then unknown', async () => {
    const b = blob(2000);
    await f.registry.putBlob('app', b.digest, body(b.bytes));
    const corrupt = Buffer.from(b.bytes);
    corrupt[10] = corrupt[10]! ^ 0xff;
    await fs.writeFile(blobFile(f.store, b.digest), corrupt);

    const restarted = await f.reopen();
    const got = await restarted.getBlob('app', b.digest);
    assert.ok(got.kind === 'stream');
    await assert.rejects(readAll(got.stream), /digest mismatch/);
    await waitFor(async () => (await fs.stat(blobFile(f.store, b.digest)).catch(() => undefined)) === undefined);
    await rejectsWith(restarted.statBlob('app', b.digest), 'BLOB_UNKNOWN');

    // A range read of a corrupt blob is refused before any byte is served.
    const c = blob(300);
    await restarted.putBlob('app', c.digest, body(c.bytes));
    await fs.writeFile(blobFile(f.store, c.digest), Buffer.alloc(300));
    const third = await f.reopen();
    await rejectsWith(third.getBlob('app', c.digest, { start: 0, end: 9 }), 'BLOB_UNKNOWN');
    // Pushing the right content again heals the store.
    await third.putBlob('app', c.digest, body(c.bytes));
    const healed = await third.getBlob('app', c.digest);
    assert.ok(healed.kind === 'stream');
    assert.deepEqual(await readAll(healed.stream), c.bytes);
  });

  test('mount links a blob from another repository without copying', async () => {
    const b = blob(100);
    await f.registry.putBlob('src', b.digest, body(b.bytes));
    assert.equal(await f.registry.mountBlob('dst', b.digest, 'src'), true);
    assert.equal((await f.registry.statBlob('dst', b.digest)).size, 100);
    assert.equal(await f.registry.mountBlob('dst2', blob(5).digest, 'src'), false);
    assert.equal(await f.registry.mountBlob('dst3', b.digest, 'nowhere'), false);
    await rejectsWith(f.registry.statBlob('dst3', b.digest), 'BLOB_UNKNOWN');
    const blobFiles = await filesUnder(path.join(f.store, 'blobs'));
    assert.equal(blobFiles.length, 1);
  });

  test('concurrent pushes of the same blob leave one consistent blob', async () => {
    const b = blob(256 * 1024);
    const slow = () => Readable.from(chunks(b.bytes, 4096));
    await Promise.all([
      f.registry.putBlob('a', b.digest, slow()),
      f.registry.putBlob('b', b.digest, slow()),
      (async () => {
        const { handle } = await f.registry.startUpload('c');
        await f.registry.finishUpload('c', handle, b.digest, { body: slow(), offset: 0 });
      })(),
    ]);
    for (const repo of ['a', 'b', 'c']) {
      const got = await f.registry.getBlob(repo, b.digest);
      assert.ok(got.kind === 'stream');
      assert.deepEqual(await readAll(got.stream), b.bytes);
    }
    assert.equal((await filesUnder(path.join(f.store, 'blobs'))).length, 1);
    assert.deepEqual(await filesUnder(path.join(f.store, 'tmp')), []);
  });

  test('deleteBlob unlinks from one repository; disabled deletes are UNSUPPORTED', async () => {
    const b = blob(10);
    await f.registry.putBlob('a', b.digest, body(b.bytes));
    await f.registry.mountBlob('b', b.digest, 'a');
    await f.registry.deleteBlob('a', b.digest);
    await rejectsWith(f.registry.statBlob('a', b.digest), 'BLOB_UNKNOWN');
    assert.equal((await f.registry.statBlob('b', b.digest)).size, 10);
    await rejectsWith(f.registry.deleteBlob('a', b.digest), 'BLOB_UNKNOWN');

    const readOnly = await f.reopen({ delete: false });
    await rejectsWith(readOnly.deleteBlob('b', b.digest), 'UNSUPPORTED', 405);
    assert.equal((await readOnly.statBlob('b', b.digest)).size, 10);
  });

  test('status and close', async () => {
    assert.deepEqual(await f.registry.status(), { name: 'local', type: 'local', delete: true });
    assert.equal(f.registry.blobMode, 'proxy');
    await f.registry.close();
  });
});

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail('condition not reached');
}
