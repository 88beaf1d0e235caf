import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, openSync, readSync, closeSync, statSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort, tempDir, waitFor } from '../support/temp';
import { assertOciError, randomBlob, V2Client } from '../support/v2-client';
import { runGc, writeConfig } from './gc-process';
import { blobDataPath, filesUnder, invalidBlobFiles } from './store-files';

/** kill -9 at the worst moments: the store and the upload sessions must come back consistent. */
describe('local backend crash recovery (kill -9 and restart)', () => {
  const dir = tempDir('crash');
  const store = join(dir.path, 'store');
  const config = {
    server: { uploadSessions: { store: 'file', path: join(dir.path, 'sessions') } },
    backends: { store: { type: 'local', path: store } },
    routes: [{ prefix: '', backend: 'store' }],
  };
  let port: number;
  let gateway: GatewayProcess | undefined;
  let client: V2Client;

  const start = async (): Promise<void> => {
    gateway = await startGateway(config, { port });
    client = new V2Client(gateway.url);
  };
  const crash = async (): Promise<void> => {
    await gateway?.stop('SIGKILL');
    gateway = undefined;
  };

  before(async () => {
    port = await freePort();
    await start();
  });
  after(async () => {
    await gateway?.stop('SIGKILL');
    dir.remove();
  });

  test('a chunked upload continues on the restarted gateway', async () => {
    const blob = randomBlob(3 * 1024 * 1024 + 17);
    const half = Math.floor(blob.bytes.length / 2);
    const started = await client.request('POST', '/v2/crash/chunked/blobs/uploads/');
    assert.equal(started.status, 202, await started.text());
    const location = started.headers.get('location')!;
    const first = await client.request('PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${half - 1}` },
      body: blob.bytes.subarray(0, half),
    });
    assert.equal(first.status, 202, await first.text());
    assert.equal(first.headers.get('range'), `0-${half - 1}`);

    await crash();
    await start();

    const status = await client.request('GET', location);
    assert.equal(status.status, 204, await status.text());
    assert.equal(status.headers.get('range'), `0-${half - 1}`);
    const rest = await client.request('PATCH', status.headers.get('location') ?? location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${half}-${blob.bytes.length - 1}` },
      body: blob.bytes.subarray(half),
    });
    assert.equal(rest.status, 202, await rest.text());
    assert.equal(rest.headers.get('range'), `0-${blob.bytes.length - 1}`);
    const next = rest.headers.get('location') ?? location;
    const done = await client.request('PUT', `${next}${next.includes('?') ? '&' : '?'}digest=${blob.digest}`);
    assert.equal(done.status, 201, await done.text());

    const get = await client.request('GET', `/v2/crash/chunked/blobs/${blob.digest}`);
    assert.equal(get.status, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob.bytes);
  });

  test('a monolithic push killed mid-write leaves no blob and no partial file', async () => {
    const chunk = randomBytes(1024 * 1024);
    const total = 64;
    const hash = createHash('sha256');
    for (let i = 0; i < total; i++) hash.update(chunk);
    const digest = `sha256:${hash.digest('hex')}`;

    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: `/v2/crash/mono/blobs/uploads/?digest=${digest}`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(total * chunk.length) },
    });
    const failed = new Promise<void>((res) => req.once('error', () => res()));
    req.once('response', (res) => res.resume());
    // All but the slow tail: the gateway is left waiting for the last 16 MiB.
    for (let i = 0; i < total - 16; i++) {
      if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
    }
    const tmpDir = join(store, 'tmp');
    await waitFor('the blob being written to the store', async () =>
      filesUnder(tmpDir).some((f) => statSync(f).size >= 32 * 1024 * 1024));

    await crash();
    await failed;
    req.destroy();
    await start();

    await assertOciError(await client.request('HEAD', `/v2/crash/mono/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    await assertOciError(await client.request('GET', `/v2/crash/mono/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    assert.equal(existsSync(blobDataPath(store, digest)), false, 'no file under the digest');
    assert.deepEqual(invalidBlobFiles(store), [], 'every file under blobs/ hashes to its name');
  });

  describe('a blob corrupted on disk', () => {
    const [whole, ranged, collected] = [randomBlob(256 * 1024), randomBlob(256 * 1024), randomBlob(256 * 1024)];
    before(async () => {
      for (const blob of [whole, ranged, collected]) await client.pushBlob('crash/corrupt', blob);
      await crash();
      for (const blob of [whole, ranged, collected]) flipByte(blobDataPath(store, blob.digest), 1000);
      await start(); // a fresh process has verified nothing yet
    });

    test('is never served whole as valid, and is removed', async () => {
      const res = await readBlob(gateway!.url, `/v2/crash/corrupt/blobs/${whole.digest}`);
      await waitFor('the corrupt blob to be removed', async () => !existsSync(blobDataPath(store, whole.digest)));
      await assertOciError(await client.request('GET', `/v2/crash/corrupt/blobs/${whole.digest}`), 404, 'BLOB_UNKNOWN');
      assert.ok(res.failed || res.status >= 400, `a corrupt blob was served as valid (${res.status}, ${res.bytes} bytes)`);
    });

    test('is never served as a range', async () => {
      const res = await readBlob(gateway!.url, `/v2/crash/corrupt/blobs/${ranged.digest}`, { range: 'bytes=0-99' });
      assert.ok(res.failed || res.status >= 400, `a range of a corrupt blob was served (${res.status})`);
      assert.equal(existsSync(blobDataPath(store, ranged.digest)), false, 'the corrupt file is removed');
    });

    test('gc --verify reports and removes it', async () => {
      const gc = await runGc(['--verify', '--config', writeConfig(dir.path, config)]);
      assert.equal(gc.code, 0, gc.stderr);
      assert.equal(gc.reports.length, 1, gc.stdout);
      assert.ok(gc.reports[0]!.corrupt.includes(collected.digest), gc.stdout);
      assert.deepEqual(gc.reports[0]!.blobsDeleted, [], 'the grace period keeps fresh unreferenced blobs');
      assert.equal(existsSync(blobDataPath(store, collected.digest)), false);
      await assertOciError(await client.request('HEAD', `/v2/crash/corrupt/blobs/${collected.digest}`), 404, 'BLOB_UNKNOWN');
      assert.deepEqual(invalidBlobFiles(store), []);
    });
  });
});

function flipByte(file: string, position: number): void {
  const fd = openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, position);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(fd, byte, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

/** A GET read to the end; `failed` when the transfer broke off (how a corrupt blob must end). */
async function readBlob(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; failed: boolean; bytes: number }> {
  let status = 0;
  try {
    const res = await fetch(new URL(path, base), { headers });
    status = res.status;
    const body = await res.arrayBuffer();
    return { status, failed: false, bytes: body.byteLength };
  } catch {
    return { status, failed: true, bytes: -1 };
  }
}
