import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertOciError, imageManifest, randomBlob, V2Client } from '../support/v2-client';
import { copyImage, failoverLogged, startFailoverSetup, type FailoverSetup, type Image } from './failover-fixtures';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * A route with a replica, its primary registry stopped: reads by digest and by a tag the cache
 * saw are served by the replica (verified, `X-Gantry-Served-By`), a replica's own tags never are,
 * writes fail without reaching the replica, and when the primary is back it answers again.
 */
describe('failover reads from route replicas', () => {
  let setup: FailoverSetup;
  let client: V2Client;
  /** On both registries: read by digest while the primary is down. */
  let app: Image;
  /** On both under tag v1; its tag seen by the gateway (HEAD) before the primary stops. */
  let tagged: Image;
  /** v1 at the primary; the replica's v1 is `impostor`, and `other` reaches it only later. */
  let other: Image;
  let impostor: Image;

  before(async () => {
    setup = await startFailoverSetup([{ prefix: 'r/', backend: 'primary', replicas: ['replica'] }]);
    client = setup.client;
    const { toPrimary, toReplica } = setup;
    app = await toPrimary.pushImage('team/app', 'v1');
    await copyImage(toReplica, 'team/app', app, 'v1');
    tagged = await toPrimary.pushImage('team/tagged', 'v1');
    await copyImage(toReplica, 'team/tagged', tagged, 'v1');
    other = await toPrimary.pushImage('team/other', 'v1');
    impostor = await toReplica.pushImage('team/other', 'v1');
    await toReplica.pushImage('team/unseen', 'v1');

    // While the primary works: the primary answers (no header), and the gateway sees the tags' digests.
    for (const repo of ['team/tagged', 'team/other']) {
      const head = await client.request('HEAD', `/v2/r/${repo}/manifests/v1`, { headers: { accept: MANIFEST } });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('x-gantry-served-by'), null);
    }
    const blob = await client.request('HEAD', `/v2/r/team/app/blobs/${app.layer.digest}`);
    assert.equal(blob.status, 200);
    assert.equal(blob.headers.get('x-gantry-served-by'), null);

    await setup.primary.pause();
  });
  after(async () => {
    await setup?.stop();
  });

  test('a manifest by digest (HEAD, then GET) is served by the replica, verified, with X-Gantry-Served-By', async () => {
    const path = `/v2/r/team/app/manifests/${app.manifest.digest}`;
    const head = await client.request('HEAD', path, { headers: { accept: MANIFEST } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-gantry-served-by'), 'replica');
    assert.equal(head.headers.get('docker-content-digest'), app.manifest.digest);
    assert.equal(head.headers.get('content-length'), String(app.manifest.bytes.length));

    const get = await client.request('GET', path, { headers: { accept: MANIFEST } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('x-gantry-served-by'), 'replica');
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), app.manifest.bytes);

    const line = await failoverLogged(setup.gateway, `manifest ${app.manifest.digest}`, true);
    assert.equal(line.backend, 'primary');
    assert.equal(line.replica, 'replica');
  });

  test('a blob (HEAD, GET, and a Range) is served by the replica with X-Gantry-Served-By', async () => {
    const path = `/v2/r/team/app/blobs/${app.layer.digest}`;
    const head = await client.request('HEAD', path);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-gantry-served-by'), 'replica');
    assert.equal(head.headers.get('content-length'), String(app.layer.bytes.length));

    const get = await client.request('GET', path);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('x-gantry-served-by'), 'replica');
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), app.layer.bytes);

    const part = await client.request('GET', path, { headers: { range: 'bytes=100-1123' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('x-gantry-served-by'), 'replica');
    assert.equal(part.headers.get('content-range'), `bytes 100-1123/${app.layer.bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), app.layer.bytes.subarray(100, 1124));

    await failoverLogged(setup.gateway, `blob ${app.layer.digest}`, true);
  });

  test('a tag the gateway saw is answered with the digest it saw, fetched by digest from the replica', async () => {
    const get = await client.request('GET', '/v2/r/team/tagged/manifests/v1', { headers: { accept: MANIFEST } });
    assert.equal(get.status, 200, await get.clone().text());
    assert.equal(get.headers.get('docker-content-digest'), tagged.manifest.digest);
    assert.equal(get.headers.get('x-gantry-served-by'), 'replica');
    assert.equal(get.headers.get('x-gantry-cache'), 'stale');
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), tagged.manifest.bytes);

    const head = await client.request('HEAD', '/v2/r/team/tagged/manifests/v1', { headers: { accept: MANIFEST } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), tagged.manifest.digest);
  });

  test('a replica whose tag points elsewhere is never served: without the digest the gateway saw, the primary\'s error', async () => {
    const get = await client.request('GET', '/v2/r/team/other/manifests/v1', { headers: { accept: MANIFEST } });
    assert.notEqual(get.headers.get('docker-content-digest'), impostor.manifest.digest);
    await assertOciError(get, 503, 'UNAVAILABLE');
    await failoverLogged(setup.gateway, `manifest ${other.manifest.digest}`, false);

    // Replication catches up: the replica now holds the digest the tag had at the primary.
    await copyImage(setup.toReplica, 'team/other', other);
    const again = await client.request('GET', '/v2/r/team/other/manifests/v1', { headers: { accept: MANIFEST } });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('docker-content-digest'), other.manifest.digest);
    assert.equal(again.headers.get('x-gantry-served-by'), 'replica');
    assert.deepEqual(Buffer.from(await again.arrayBuffer()), other.manifest.bytes);
  });

  test('a tag the gateway never saw, and a tag list, are not asked of the replica', async () => {
    setup.replicaFront.reset();
    await assertOciError(await client.request('GET', '/v2/r/team/unseen/manifests/v1', { headers: { accept: MANIFEST } }), 503, 'UNAVAILABLE');
    await assertOciError(await client.request('GET', '/v2/r/team/unseen/tags/list'), 503, 'UNAVAILABLE');
    assert.equal(setup.replicaFront.count('GET', '/v2/team/unseen/manifests/v1'), 0);
    assert.equal(setup.replicaFront.count('GET', '/v2/team/unseen/tags/list'), 0);
  });

  test('writes never fail over: pushes to a route whose primary is down fail with 503 and never reach the replica', async () => {
    setup.replicaFront.reset();
    const layer = randomBlob(512);
    await assertOciError(await client.request('POST', '/v2/r/team/app/blobs/uploads/'), 503, 'UNAVAILABLE');
    await assertOciError(
      await client.request('POST', `/v2/r/team/app/blobs/uploads/?digest=${layer.digest}`, {
        headers: { 'content-type': 'application/octet-stream' }, body: layer.bytes,
      }),
      503, 'UNAVAILABLE',
    );
    const manifest = imageManifest(app.config, [app.layer], { annotations: { pushed: 'while-down' } });
    await assertOciError(await client.pushManifest('r/team/app', 'v2', manifest), 503, 'UNAVAILABLE');
    await assertOciError(await client.request('DELETE', `/v2/r/team/app/manifests/${app.manifest.digest}`), 503, 'UNAVAILABLE');
    assert.equal(setup.replicaFront.count('POST', '/v2/team/app/blobs/uploads/'), 0);
    assert.equal(setup.replicaFront.count('PUT', '/v2/team/app/manifests/v2'), 0);
    assert.equal(setup.replicaFront.count('DELETE', `/v2/team/app/manifests/${app.manifest.digest}`), 0);
    const atReplica = await setup.toReplica.request('GET', '/v2/team/app/manifests/v2', { headers: { accept: MANIFEST } });
    assert.equal(atReplica.status, 404);
  });

  test('when the primary is back, reads go to it again (no X-Gantry-Served-By)', async () => {
    await setup.primary.resume();
    setup.replicaFront.reset();
    const blob = await client.request('GET', `/v2/r/team/app/blobs/${app.config.digest}`);
    assert.equal(blob.status, 200);
    assert.equal(blob.headers.get('x-gantry-served-by'), null);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), app.config.bytes);

    const fresh = await setup.toPrimary.pushImage('team/app', 'v3');
    const manifest = await client.request('GET', `/v2/r/team/app/manifests/${fresh.manifest.digest}`, { headers: { accept: MANIFEST } });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('x-gantry-served-by'), null);
    const tag = await client.request('GET', '/v2/r/team/app/manifests/v3', { headers: { accept: MANIFEST } });
    assert.equal(tag.status, 200);
    assert.equal(tag.headers.get('x-gantry-served-by'), null);
    assert.equal(setup.replicaFront.count('GET', `/v2/team/app/blobs/${app.config.digest}`), 0);
    assert.equal(setup.replicaFront.manifestRequests(), 0);
  });
});
