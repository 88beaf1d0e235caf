import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isOciError } from '#oci';
import { type Registry } from '#registry';
import { RegistryImageCopier } from '#replication/runtime';
import { startBlobRelay, type BlobRelay } from '../support/blob-relay';
import { startDistribution, type Distribution } from '../support/distribution';
import { startRecordingFront } from '../support/recording-front';
import { imageManifest, randomBlob } from '../support/v2-client';
import { copyTuning, intoRegistry, MemoryResumeStore, pushMultiArchImage, registryAt } from './copy-fixtures';

describe('copy engine: a corrupt source', () => {
  let a: Distribution;
  let b: Distribution;
  let relay: BlobRelay;
  let source: Registry;
  let destination: Registry;

  before(async () => {
    [a, b] = await Promise.all([startDistribution(), startDistribution()]);
    relay = await startBlobRelay(a.url);
    source = await registryAt(relay.url, 'a');
    destination = await registryAt(b.url, 'b');
  });
  after(async () => {
    await source?.close();
    await destination?.close();
    await relay?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('a blob whose bytes do not match its digest fails the copy, and no tag appears at the destination', async () => {
    const image = await pushMultiArchImage(source, 'team/app', 'v1');
    relay.corrupt = true;
    await assert.rejects(
      new RegistryImageCopier().copy({
        source: { registry: source, repository: 'team/app' }, reference: 'v1',
        destination: { registry: destination, repository: 'team/app' }, tag: 'v1', ...copyTuning, blobConcurrency: 1,
      }),
      (err) => isOciError(err) && err.code === 'DIGEST_INVALID',
    );
    await assert.rejects(destination.statManifest('team/app', 'v1', []), (err) => isOciError(err) && err.code === 'MANIFEST_UNKNOWN');
    for (const manifest of [image.index, ...image.manifests]) {
      await assert.rejects(destination.statManifest('team/app', manifest.digest, []), (err) => isOciError(err) && err.code === 'MANIFEST_UNKNOWN');
    }
    const biggest = [...image.blobs].sort((x, y) => y.bytes.length - x.bytes.length)[0]!;
    await assert.rejects(destination.statBlob('team/app', biggest.digest), (err) => isOciError(err) && err.code === 'BLOB_UNKNOWN',
      'the corrupt blob (the first one tried) was not committed');
  });

  test('a corrupt layer above the chunk threshold fails before its upload is committed, and its session is dropped', async () => {
    const front = await startRecordingFront(a.url);
    const corruptible = await registryAt(front.url, 'a-front');
    try {
      const config = randomBlob(100);
      const layer = randomBlob(3 * 64 * 1024);
      const pusher = intoRegistry(corruptible);
      await pusher.pushBlob('big/app', config);
      await pusher.pushBlob('big/app', layer);
      await pusher.pushManifest('big/app', 'v1', imageManifest(config, [layer]), 'application/vnd.oci.image.manifest.v1+json');
      front.corruptBlobReads = true;
      const resume = new MemoryResumeStore();
      await assert.rejects(
        new RegistryImageCopier().copy({
          source: { registry: corruptible, repository: 'big/app' }, reference: 'v1',
          destination: { registry: destination, repository: 'big/app' }, tag: 'v1',
          chunkThresholdBytes: 64 * 1024, chunkBytes: 64 * 1024, blobConcurrency: 1, resume,
        }),
        // The engine's own hash, before it asks the destination to complete the upload.
        (err) => isOciError(err) && err.code === 'DIGEST_INVALID' && /^source blob .* hashes to/.test(err.message),
      );
      assert.ok(front.requests.filter((r) => r.method === 'GET' && r.path.endsWith(layer.digest)).length >= 3, 'the layer was read in chunks');
      assert.equal(resume.states.size, 0, 'no session is left to resume');
      await assert.rejects(destination.statBlob('big/app', layer.digest), (err) => isOciError(err) && err.code === 'BLOB_UNKNOWN');
      await assert.rejects(destination.statManifest('big/app', 'v1', []), (err) => isOciError(err) && err.code === 'MANIFEST_UNKNOWN');
    } finally {
      await corruptible.close();
      await front.stop();
    }
  });
});
