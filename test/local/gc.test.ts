import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { buildMultiArchImage, type BuiltBlob, type BuiltImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';
import { assertOciError, type IndexBody, jsonOf, randomBlob, V2Client } from '../support/v2-client';
import { runGc, writeConfig } from './gc-process';
import { blobDataPath } from './store-files';

const REPO = 'gc/app';

/**
 * `gantry gc` against a running gateway: keeps everything reachable, frees what no tag reaches.
 * Each test pushes its own image into its own store.
 */
describe('gantry gc on the local store', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: string;
  let configFile: string;
  let gateway: GatewayProcess;
  let client: V2Client;
  let image: BuiltImage;
  let referrer: BuiltBlob;
  let everything: BuiltBlob[];

  beforeEach(async () => {
    dir = tempDir('gc');
    store = join(dir.path, 'store');
    const config = { backends: { store: { type: 'local', path: store } }, routes: [{ prefix: '', backend: 'store' }] };
    configFile = writeConfig(dir.path, config);
    gateway = await startGateway(config);
    client = new V2Client(gateway.url);
    image = buildMultiArchImage(join(dir.path, 'layout'), { withReferrer: true, layersPerPlatform: 2, layerBytes: 64 * 1024 });
    await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, `docker://${gateway.host}/${REPO}:v1`]);
    referrer = image.referrer!;
    // The referrer's config and signature are the last two blobs; skopeo copied only what the index reaches.
    for (const blob of image.blobs.slice(-2)) await client.pushBlob(REPO, blob);
    const pushed = await client.pushManifest(REPO, referrer.digest, referrer);
    assert.equal(pushed.status, 201, await pushed.text());
    everything = [...image.blobs, ...image.manifests, image.index, referrer];
  });
  afterEach(async () => {
    await gateway?.stop();
    dir.remove();
  });

  const deleteIndex = async (): Promise<void> => {
    const deleted = await client.request('DELETE', `/v2/${REPO}/manifests/${image.index.digest}`);
    assert.equal(deleted.status, 202, await deleted.text());
  };

  const listReferrers = async (): Promise<string[]> => {
    const res = await client.request('GET', `/v2/${REPO}/referrers/${image.index.digest}`);
    assert.equal(res.status, 200);
    return (await jsonOf<IndexBody>(res)).manifests.map((m) => m.digest);
  };

  test('with no grace, gc while serving deletes only what nothing references', async () => {
    const junk = randomBlob(4096);
    await client.pushBlob('gc/junk', junk);

    const gc = await runGc(['--config', configFile, '--grace-seconds', '0']);
    assert.equal(gc.code, 0, gc.stderr);
    const [report] = gc.reports;
    assert.equal(gc.reports.length, 1, gc.stdout);
    assert.equal(report!.backend, 'store');
    assert.deepEqual(report!.manifestsDeleted, []);
    assert.deepEqual(report!.blobsDeleted, [junk.digest]);
    assert.equal(report!.blobsMarked, everything.length);
    assert.equal(report!.manifestsMarked, image.manifests.length + 2);
    for (const blob of everything) assert.ok(existsSync(blobDataPath(store, blob.digest)), blob.digest);

    const out = join(dir.path, 'pulled');
    await skopeo(['copy', '--all', '--preserve-digests', `docker://${gateway.host}/${REPO}:v1`, `oci:${out}:v1`]);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]!.digest, image.index.digest);
    for (const blob of [...image.blobs.slice(0, -2), ...image.manifests]) {
      assert.deepEqual(readFileSync(join(out, 'blobs', 'sha256', blob.digest.slice(7))), blob.bytes, blob.digest);
    }
    assert.deepEqual(await listReferrers(), [referrer.digest]);
    const signature = await client.request('GET', `/v2/${REPO}/manifests/${referrer.digest}`);
    assert.equal(signature.status, 200);
    assert.deepEqual(Buffer.from(await signature.arrayBuffer()), referrer.bytes);
  });

  test('after the index is deleted, --dry-run reports the garbage and deletes nothing', async () => {
    await deleteIndex();

    const gc = await runGc(['--config', configFile, '--grace-seconds', '0', '--dry-run']);
    assert.equal(gc.code, 0, gc.stderr);
    const report = gc.reports[0]!;
    assert.equal(report.dryRun, true);
    assert.deepEqual(new Set(report.manifestsDeleted), new Set([...image.manifests, referrer].map((m) => `${REPO}@${m.digest}`)));
    assert.deepEqual(new Set(report.blobsDeleted), new Set(everything.map((b) => b.digest)));
    for (const blob of everything) assert.ok(existsSync(blobDataPath(store, blob.digest)), `dry run kept ${blob.digest}`);
    const layer = image.blobs[1]!;
    assert.equal((await client.request('HEAD', `/v2/${REPO}/blobs/${layer.digest}`)).status, 200);
  });

  test('after the index is deleted, gc frees the blobs of the image; its layers are gone', async () => {
    await deleteIndex();
    const gc = await runGc(['--config', configFile, '--grace-seconds', '0']);
    assert.equal(gc.code, 0, gc.stderr);
    const report = gc.reports[0]!;
    assert.equal(report.dryRun, false);
    assert.equal(report.manifestsDeleted.length, image.manifests.length + 1);
    assert.equal(report.blobsDeleted.length, everything.length);
    assert.equal(report.bytesFreed, everything.reduce((sum, b) => sum + b.bytes.length, 0));
    for (const blob of everything) assert.equal(existsSync(blobDataPath(store, blob.digest)), false, `${blob.digest} is freed`);
    for (const layer of image.blobs) {
      await assertOciError(await client.request('HEAD', `/v2/${REPO}/blobs/${layer.digest}`), 404, 'BLOB_UNKNOWN');
    }
    await assertOciError(await client.request('GET', `/v2/${REPO}/manifests/${image.manifests[0]!.digest}`), 404, 'MANIFEST_UNKNOWN');
    assert.deepEqual(await listReferrers(), []);

    const again = await runGc(['--config', configFile, '--grace-seconds', '0']);
    assert.deepEqual([again.reports[0]!.blobsDeleted, again.reports[0]!.manifestsDeleted], [[], []], 'a second run finds nothing');
  });
});
