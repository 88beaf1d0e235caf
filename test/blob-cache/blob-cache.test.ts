import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBlobRelay, type BlobRelay } from '../support/blob-relay';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { randomBlob, V2Client, type Blob } from '../support/v2-client';
import { pull } from './pull';

const MiB = 1024 * 1024;

/** One gateway whose route caches blobs on disk, in front of a counting relay and a real distribution. */
describe('disk blob cache: miss, hit, Range, restart, corrupt upstream', () => {
  let upstream: Distribution;
  let relay: BlobRelay;
  let gateway: GatewayProcess;
  let cacheDir: ReturnType<typeof tempDir>;
  let config: Record<string, unknown>;
  const blobUrl = (blob: Blob): string => `${gateway.url}/v2/cached/app/blobs/${blob.digest}`;
  const hexOf = (blob: Blob): string => blob.digest.slice('sha256:'.length);

  before(async () => {
    upstream = await startDistribution();
    relay = await startBlobRelay(upstream.url);
    cacheDir = tempDir('blob-cache');
    config = {
      backends: { up: { type: 'registry', url: relay.url } },
      routes: [{ prefix: 'cached/', backend: 'up', blobCache: { path: cacheDir.path, maxBytes: 64 * MiB } }],
    };
    gateway = await startGateway(config);
  });
  after(async () => {
    await gateway?.stop();
    await relay?.stop();
    await upstream?.stop();
    cacheDir?.remove();
  });

  test('first pull is a miss from the upstream, later pulls and ranges are hits from disk, also after a restart', async () => {
    const blob = randomBlob(3 * MiB + 17);
    await new V2Client(upstream.url).pushBlob('app', blob);

    const first = await pull(blobUrl(blob));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-gantry-cache'), 'miss');
    assert.ok(first.bytes.equals(blob.bytes), 'the first pull is byte-exact');
    assert.equal(relay.blobGets(blob.digest), 1);
    assert.ok(existsSync(join(cacheDir.path, 'sha256', hexOf(blob))), 'the verified blob is in the cache');

    const second = await pull(blobUrl(blob));
    assert.equal(second.headers.get('x-gantry-cache'), 'hit');
    assert.ok(second.bytes.equals(blob.bytes));

    const part = await pull(blobUrl(blob), { range: 'bytes=1000-1999' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${blob.bytes.length}`);
    assert.equal(part.headers.get('x-gantry-cache'), 'hit');
    assert.ok(part.bytes.equals(blob.bytes.subarray(1000, 2000)));

    const tail = await pull(blobUrl(blob), { range: 'bytes=-10' });
    assert.equal(tail.status, 206);
    assert.ok(tail.bytes.equals(blob.bytes.subarray(blob.bytes.length - 10)));

    const beyond = await pull(blobUrl(blob), { range: `bytes=${blob.bytes.length}-` });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${blob.bytes.length}`);

    const head = await fetch(blobUrl(blob), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(blob.bytes.length));
    assert.equal(head.headers.get('x-gantry-cache'), 'hit');
    assert.equal(relay.blobGets(blob.digest), 1, 'no full GET reached the upstream after the first');

    await gateway.stop();
    gateway = await startGateway(config);
    const afterRestart = await pull(blobUrl(blob));
    assert.equal(afterRestart.headers.get('x-gantry-cache'), 'hit');
    assert.ok(afterRestart.bytes.equals(blob.bytes));
    assert.equal(relay.blobGets(blob.digest), 1, 'the cache survived the restart');
  });

  test('a corrupt upstream never enters the cache; the client transfer fails; the next pull goes upstream again', async () => {
    const blob = randomBlob(2 * MiB);
    await new V2Client(upstream.url).pushBlob('app', blob);
    relay.corrupt = true;
    try {
      const res = await fetch(blobUrl(blob));
      assert.equal(res.status, 200, 'the headers went out before the body was proven wrong');
      await assert.rejects(res.arrayBuffer(), 'the transfer is cut before its last chunk');
    } finally {
      relay.corrupt = false;
    }
    assert.equal(existsSync(join(cacheDir.path, 'sha256', hexOf(blob))), false, 'nothing entered the cache');
    assert.deepEqual(readdirSync(join(cacheDir.path, 'tmp')).filter((n) => n.includes(hexOf(blob))), [], 'no temp file is left');

    const again = await pull(blobUrl(blob));
    assert.equal(again.headers.get('x-gantry-cache'), 'miss');
    assert.ok(again.bytes.equals(blob.bytes));
    assert.equal(relay.blobGets(blob.digest), 2, 'the corrupt copy was not served from the cache');
    assert.equal((await pull(blobUrl(blob))).headers.get('x-gantry-cache'), 'hit');
  });

  test('a blob the upstream does not have is BLOB_UNKNOWN, and a cached blob is not served for a repository without it', async () => {
    const missing = randomBlob(1000);
    const res = await fetch(blobUrl(missing));
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'BLOB_UNKNOWN');

    const blob = randomBlob(4096);
    await new V2Client(upstream.url).pushBlob('app', blob);
    assert.equal((await pull(blobUrl(blob))).status, 200);
    const elsewhere = await fetch(`${gateway.url}/v2/cached/other/blobs/${blob.digest}`);
    assert.equal(elsewhere.status, 404, 'the cache does not widen what a repository can reach');
    await elsewhere.arrayBuffer();
  });
});
