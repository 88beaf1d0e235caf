import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { assertOciError, imageManifest, jsonOf, randomBlob, sha256, V2Client, type Blob, type IndexBody } from '../support/v2-client';
import { holdPatchOpen } from '../support/held-patch';

/**
 * Two gateway processes on one Redis, in front of one distribution 2.8: upload sessions, the
 * one-writer guard, the session caps and the referrers index are one state for both replicas.
 */
describe('two gateway replicas on one Redis', () => {
  let redis: RedisProcess;
  let upstream: Distribution;
  let replicaA: GatewayProcess;
  let replicaB: GatewayProcess;
  let a: V2Client;
  let b: V2Client;
  before(async () => {
    redis = await startRedis();
    upstream = await startDistribution();
    const config = {
      server: { uploadSessions: { maxPerRepository: 2, maxTotal: 4 } },
      redis: { url: redis.url },
      backends: { corp: { type: 'registry', url: upstream.url } },
      routes: [{ prefix: '', backend: 'corp' }],
    };
    [replicaA, replicaB] = await Promise.all([startGateway(config), startGateway(config)]);
    a = new V2Client(replicaA.url);
    b = new V2Client(replicaB.url);
  });
  after(async () => {
    await Promise.all([replicaA?.stop(), replicaB?.stop()]);
    await upstream?.stop();
    await redis?.stop();
  });

  async function openUpload(client: V2Client, name: string): Promise<string> {
    const res = await client.request('POST', `/v2/${name}/blobs/uploads/`);
    assert.equal(res.status, 202, await res.text());
    return new URL(res.headers.get('location')!, client.baseUrl).pathname;
  }

  test('an upload started on replica A is continued and finished on replica B', async () => {
    const blob = randomBlob(30_000);
    const location = await openUpload(a, 'team/shared');
    const patch = await b.request('PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-19999' },
      body: blob.bytes.subarray(0, 20_000),
    });
    assert.equal(patch.status, 202, await patch.text());
    assert.equal(patch.headers.get('range'), '0-19999');
    assert.equal((await a.request('GET', location)).headers.get('range'), '0-19999', 'replica A sees the progress made on B');
    const put = await b.request('PUT', `${location}?digest=${blob.digest}`, { body: blob.bytes.subarray(20_000) });
    assert.equal(put.status, 201, await put.text());
    assert.equal(put.headers.get('docker-content-digest'), blob.digest);
    const pulled = await a.request('GET', `/v2/team/shared/blobs/${blob.digest}`);
    assert.equal(pulled.status, 200);
    assert.equal(sha256(Buffer.from(await pulled.arrayBuffer())), blob.digest);
    await assertOciError(await a.request('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a second writer on replica B while replica A streams a chunk gets 416; A completes', async () => {
    const blob = randomBlob(20_000);
    const location = await openUpload(a, 'team/writers');
    // The first PATCH, on A, streams half its body and holds the request open; B must see the lock.
    const first = await holdPatchOpen(new URL(location, replicaA.url), blob.bytes.subarray(0, 5000), 10_000, b);
    const second = await b.request('PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9999' },
      body: blob.bytes.subarray(0, 10_000),
    });
    await assertOciError(second, 416, 'RANGE_INVALID');
    assert.equal(await first.finish(blob.bytes.subarray(5000, 10_000)), 202);
    assert.equal((await b.request('GET', location)).headers.get('range'), '0-9999');
    const done = await b.request('PUT', `${location}?digest=${blob.digest}`, { body: blob.bytes.subarray(10_000) });
    assert.equal(done.status, 201, await done.text());
  });

  test('the session caps count the sessions of both replicas', async () => {
    const opened = [await openUpload(a, 'caps/x'), await openUpload(a, 'caps/x')];
    await assertOciError(await b.request('POST', '/v2/caps/x/blobs/uploads/'), 429, 'TOOMANYREQUESTS');
    opened.push(await openUpload(b, 'caps/y'), await openUpload(b, 'caps/z'));
    const overTotal = await a.request('POST', '/v2/caps/w/blobs/uploads/');
    assert.equal(overTotal.status, 429);
    assert.match(await overTotal.text(), /4 upload sessions are open, the most this gateway allows/);
    for (const [n, location] of opened.entries()) assert.equal((await (n % 2 ? a : b).request('DELETE', location)).status, 204);
    await openUpload(b, 'caps/w').then((location) => b.request('DELETE', location));
  });

  test('referrers of one subject pushed through both replicas at once are all in its index', async () => {
    const name = 'team/signed';
    const { manifest: subject } = await a.pushImage(name, 'v1');
    const config = { bytes: Buffer.from('{}'), digest: sha256(Buffer.from('{}')) };
    const payload = randomBlob(64);
    await a.pushBlob(name, config);
    await a.pushBlob(name, payload);
    const referrers: Blob[] = Array.from({ length: 24 }, (_, n) =>
      imageManifest(config, [payload], {
        artifactType: 'application/vnd.example.signature.v1',
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.bytes.length },
        annotations: { 'org.example.n': String(n) },
      }),
    );
    const statuses = await Promise.all(referrers.map(async (referrer, n) => (await (n % 2 ? a : b).pushManifest(name, referrer.digest, referrer)).status));
    assert.deepEqual(statuses, referrers.map(() => 201));
    for (const client of [a, b]) {
      const index = await jsonOf<IndexBody>(await client.request('GET', `/v2/${name}/referrers/${subject.digest}`));
      assert.deepEqual(index.manifests.map((m) => m.digest).sort(), referrers.map((r) => r.digest).sort());
    }
  });
});
