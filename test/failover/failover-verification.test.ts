import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { logLines } from '../support/log-lines';
import { tempDir, waitFor } from '../support/temp';
import { assertOciError, V2Client } from '../support/v2-client';
import { copyImage, failoverLogged, startFailoverSetup, type FailoverSetup, type Image } from './failover-fixtures';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Where distribution keeps a blob's (or a manifest's) bytes on disk. */
function blobFile(registry: Distribution, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.rootDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

/** A replica's wrong bytes never reach the client whole: a 502 before the body, or a transfer that breaks. */
async function assertBroken(res: Response, okStatus: number): Promise<void> {
  if (res.status === okStatus) {
    assert.equal(res.headers.get('x-gantry-served-by'), 'replica');
    await assert.rejects(res.arrayBuffer(), 'the client must never receive the whole (wrong) content');
    return;
  }
  await assertOciError(res, 502, 'UNAVAILABLE');
}

/**
 * What a replica serves is verified by digest, replicas are asked in order, under the route's
 * upstream name, and an open circuit at the primary sends reads to the replica at once.
 */
describe('failover: verification, order, names and the circuit', () => {
  let setup: FailoverSetup;
  let empty: Distribution;
  let client: V2Client;
  let corrupt: Image;
  let ordered: Image;
  let renamed: Image;
  let guarded: Image;
  let filled: Image;
  let blobCacheDir: { path: string; remove(): void };

  before(async () => {
    empty = await startDistribution();
    blobCacheDir = tempDir('failover-blob-cache');
    setup = await startFailoverSetup(
      [
        { prefix: 'r/', backend: 'primary', replicas: ['replica'] },
        { prefix: 'two/', backend: 'primary', replicas: ['empty', 'replica'] },
        { prefix: 'p/', backend: 'primary', upstreamPrefix: 'mirror/', replicas: ['replica'] },
        { prefix: 'cb/', backend: 'fragile', replicas: ['replica'] },
        { prefix: 'bc/', backend: 'primary', replicas: ['replica'], blobCache: { path: blobCacheDir.path, maxBytes: '10MB' } },
      ],
      (primary) => ({
        empty: { type: 'registry', url: empty.url, retries: 0 },
        fragile: { type: 'registry', url: primary.url, retries: 0, circuitBreaker: { failures: 1, openSeconds: 3600 } },
      }),
    );
    client = setup.client;
    const { toPrimary, toReplica } = setup;
    corrupt = await toPrimary.pushImage('team/corrupt', 'v1');
    await copyImage(toReplica, 'team/corrupt', corrupt);
    ordered = await toPrimary.pushImage('team/ordered', 'v1');
    await copyImage(toReplica, 'team/ordered', ordered);
    renamed = await toPrimary.pushImage('mirror/renamed', 'v1');
    await copyImage(toReplica, 'mirror/renamed', renamed);
    filled = await toPrimary.pushImage('team/filled', 'v1');
    await copyImage(toReplica, 'team/filled', filled);
    guarded = await toPrimary.pushImage('team/guarded', 'v1');
    await copyImage(toReplica, 'team/guarded', guarded);
    // The replica's copies go bad on disk (same sizes, other bytes).
    writeFileSync(blobFile(setup.replica, corrupt.layer.digest), randomBytes(corrupt.layer.bytes.length));
    writeFileSync(blobFile(setup.replica, corrupt.manifest.digest), Buffer.from(corrupt.manifest.bytes.toString('utf8').replace('"schemaVersion": 2', '"schemaVersion":  2')));
    // The fragile backend talks to the primary once while it works (it learns its challenge).
    assert.equal((await client.request('HEAD', `/v2/cb/team/guarded/blobs/${guarded.config.digest}`)).status, 200);
    await setup.primary.pause();
  });
  after(async () => {
    await setup?.stop();
    await empty?.stop();
    blobCacheDir?.remove();
  });

  test('a replica blob whose bytes are not its digest breaks the transfer, and the log names the replica', async () => {
    // The blob is small: the held bytes may be all of it, and the error can come before the headers.
    await assertBroken(await client.request('GET', `/v2/r/team/corrupt/blobs/${corrupt.layer.digest}`), 200);
    await assertBroken(await client.request('GET', `/v2/r/team/corrupt/blobs/${corrupt.layer.digest}`, { headers: { range: 'bytes=0-99' } }), 206);
    await waitFor('mismatch log line', async () =>
      logLines(setup.gateway.logs).some((line) => line.replica === 'replica' && line.digest === corrupt.layer.digest && String(line.msg).includes('transfer aborted')), 5000);
  });

  test('a replica manifest whose bytes are not its digest is never served: the primary\'s error', async () => {
    const res = await client.request('GET', `/v2/r/team/corrupt/manifests/${corrupt.manifest.digest}`, { headers: { accept: MANIFEST } });
    await assertOciError(res, 503, 'UNAVAILABLE');
    await failoverLogged(setup.gateway, `manifest ${corrupt.manifest.digest}`, false);
  });

  test('replicas are asked in order: one without the digest is passed over for the next', async () => {
    const res = await client.request('GET', `/v2/two/team/ordered/manifests/${ordered.manifest.digest}`, { headers: { accept: MANIFEST } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gantry-served-by'), 'replica');
    const line = await failoverLogged(setup.gateway, `manifest ${ordered.manifest.digest}`, true);
    assert.match(String(line.misses), /^empty: /);
    const blob = await client.request('GET', `/v2/two/team/ordered/blobs/${ordered.layer.digest}`);
    assert.equal(blob.headers.get('x-gantry-served-by'), 'replica');
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), ordered.layer.bytes);
  });

  test('replicas are asked under the route\'s upstream name (upstreamPrefix applies to them too)', async () => {
    const res = await client.request('GET', `/v2/p/renamed/manifests/${renamed.manifest.digest}`, { headers: { accept: MANIFEST } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gantry-served-by'), 'replica');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), renamed.manifest.bytes);
  });

  test('a route with a blob cache fills it from the replica (verified), then serves it from disk', async () => {
    const path = `/v2/bc/team/filled/blobs/${filled.layer.digest}`;
    const first = await client.request('GET', path);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-gantry-cache'), 'miss');
    assert.deepEqual(Buffer.from(await first.arrayBuffer()), filled.layer.bytes);
    await failoverLogged(setup.gateway, `blob ${filled.layer.digest}`, true);
    const second = await client.request('GET', path);
    assert.equal(second.headers.get('x-gantry-cache'), 'hit');
    assert.deepEqual(Buffer.from(await second.arrayBuffer()), filled.layer.bytes);
  });

  test('an open circuit at the primary sends reads straight to the replica', async () => {
    const blobPath = `/v2/cb/team/guarded/blobs/${guarded.layer.digest}`;
    const manifestPath = `/v2/cb/team/guarded/manifests/${guarded.manifest.digest}`;
    // The first request fails at the primary (connection refused) and opens its circuit.
    const first = await client.request('GET', manifestPath, { headers: { accept: MANIFEST } });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-gantry-served-by'), 'replica');
    await setup.primary.resume();
    // The circuit stays open for an hour: the primary, although back, is not asked; the replica answers.
    const res = await client.request('HEAD', blobPath);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gantry-served-by'), 'replica');
    const line = await failoverLogged(setup.gateway, `blob ${guarded.layer.digest}`, true);
    assert.match(String(line.err), /circuit open/);
  });
});
