import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { type Blob, imageManifest, randomBlob, V2Client } from '../support/v2-client';
import { runGc, writeConfig } from './gc-process';
import { blobDataPath } from './store-files';

const GRACE_SECONDS = 3600;

/**
 * A push in progress while gc runs: its blobs are in the store but no manifest references them
 * yet, and their files are older than the grace period (uploaded long ago, or by an earlier push
 * that never finished). What the client does next (HEAD to skip the upload, or a cross-repository
 * mount) must refresh them, so that gc keeps them and the manifest push that follows succeeds.
 */
describe('gc while a push is in progress', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: string;
  let configFile: string;
  let gateway: GatewayProcess;
  let client: V2Client;

  beforeEach(async () => {
    dir = tempDir('gc-push');
    store = join(dir.path, 'store');
    const config = { backends: { store: { type: 'local', path: store } }, routes: [{ prefix: '', backend: 'store' }] };
    configFile = writeConfig(dir.path, config);
    gateway = await startGateway(config);
    client = new V2Client(gateway.url);
  });
  afterEach(async () => {
    await gateway?.stop();
    dir.remove();
  });

  /** Uploads `blobs` to `repo` and dates their files two grace periods back. */
  async function uploadedLongAgo(repo: string, blobs: Blob[]): Promise<void> {
    const old = new Date(Date.now() - 2 * GRACE_SECONDS * 1000);
    for (const blob of blobs) {
      await client.pushBlob(repo, blob);
      utimesSync(blobDataPath(store, blob.digest), old, old);
    }
  }

  async function gc(): Promise<string[]> {
    const run = await runGc(['--config', configFile, '--grace-seconds', String(GRACE_SECONDS)]);
    assert.equal(run.code, 0, run.stderr);
    return run.reports[0]!.blobsDeleted;
  }

  test('blobs the client HEADs (and so does not upload again) survive gc; the manifest push succeeds', async () => {
    const [config, layer] = [randomBlob(512), randomBlob(4096)];
    const bystander = randomBlob(256); // old and unreferenced, and nobody asks for it: gc's to take
    await uploadedLongAgo('gc/app', [config, layer, bystander]);

    for (const blob of [config, layer]) {
      const head = await client.request('HEAD', `/v2/gc/app/blobs/${blob.digest}`);
      assert.equal(head.status, 200, `HEAD ${blob.digest}`);
    }
    assert.deepEqual(await gc(), [bystander.digest], 'gc took only the blob no push is using');

    const manifest = imageManifest(config, [layer]);
    const put = await client.pushManifest('gc/app', 'v1', manifest);
    assert.equal(put.status, 201, await put.text());
    for (const blob of [config, layer]) {
      const get = await client.request('GET', `/v2/gc/app/blobs/${blob.digest}`);
      assert.equal(get.status, 200);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob.bytes);
    }
  });

  test('blobs mounted from another repository survive gc; the manifest push succeeds', async () => {
    const [config, layer] = [randomBlob(512), randomBlob(4096)];
    await uploadedLongAgo('gc/base', [config, layer]);

    for (const blob of [config, layer]) {
      const mount = await client.request('POST', `/v2/gc/app/blobs/uploads/?mount=${blob.digest}&from=gc/base`);
      assert.equal(mount.status, 201, `mount ${blob.digest}: ${await mount.text()}`);
    }
    assert.deepEqual(await gc(), []);

    const put = await client.pushManifest('gc/app', 'v1', imageManifest(config, [layer]));
    assert.equal(put.status, 201, await put.text());
    const get = await client.request('GET', `/v2/gc/app/blobs/${layer.digest}`);
    assert.equal(get.status, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), layer.bytes);
  });
});
