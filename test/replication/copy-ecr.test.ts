import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBackend, type Registry } from '#registry';
import { RegistryImageCopier } from '#replication/runtime';
import { ecrConfig } from '../support/clouds/backend-configs';
import { startEcrCloud, type EcrCloud } from '../support/clouds/ecr-cloud';
import { startDistribution, type Distribution } from '../support/distribution';
import { copyTuning, pushMultiArchImage, registryAt, silent } from './copy-fixtures';

describe('copy engine: into ECR (the stand-in, through the real SDK)', () => {
  let a: Distribution;
  let cloud: EcrCloud;
  let source: Registry;
  let destination: Registry;

  before(async () => {
    [a, cloud] = await Promise.all([startDistribution(), startEcrCloud()]);
    source = await registryAt(a.url, 'a');
    destination = await createBackend('ecr', ecrConfig(cloud), silent);
  });
  after(async () => {
    await source?.close();
    await destination?.close();
    await cloud?.stop();
    await a?.stop();
  });

  test('the repository is created first and the whole image lands', async () => {
    const image = await pushMultiArchImage(source, 'team/app', 'v1');
    assert.equal(cloud.controlPlane.repositories.has('payments/app'), false);
    const result = await new RegistryImageCopier().copy({
      source: { registry: source, repository: 'team/app' }, reference: 'v1',
      destination: { registry: destination, repository: 'payments/app' }, tag: 'v1', ...copyTuning,
    });
    assert.equal(result.digest, image.index.digest);
    assert.ok(cloud.controlPlane.repositories.has('payments/app'), 'CreateRepository was called');
    const landed = await destination.getManifest('payments/app', 'v1', [image.index.mediaType]);
    assert.ok(landed.bytes.equals(image.index.bytes));
    for (const manifest of image.manifests) assert.equal((await destination.statManifest('payments/app', manifest.digest, [])).digest, manifest.digest);
    for (const blob of image.blobs) assert.equal((await destination.statBlob('payments/app', blob.digest)).size, blob.bytes.length);
  });

  test('ECR as the source, handing out presigned blob URLs: whole and ranged (chunked) reads follow them', async () => {
    const image = await pushMultiArchImage(destination, 'team/out', 'v2', { layerBytes: 300 * 1024 });
    const redirecting = await createBackend('ecr-redirect', ecrConfig(cloud, { blobs: 'redirect' }), silent);
    const b = await startDistribution();
    const target = await registryAt(b.url, 'b');
    const storageReadsBefore = cloud.storage.requests.length;
    try {
      const result = await new RegistryImageCopier().copy({
        source: { registry: redirecting, repository: 'team/out' }, reference: 'v2',
        destination: { registry: target, repository: 'team/out' }, tag: 'v2',
        // Every layer (gzip of 300 KiB of random bytes) goes up in 100 KiB ranged pieces.
        chunkThresholdBytes: 100 * 1024, chunkBytes: 100 * 1024, blobConcurrency: 2,
      });
      assert.equal(result.blobsCopied, image.blobs.length);
      const layers = image.blobs.filter((blob) => blob.bytes.length > 100 * 1024);
      assert.ok(layers.length >= 4);
      const storageReads = cloud.storage.requests.slice(storageReadsBefore);
      assert.ok(storageReads.length >= image.blobs.length + layers.length * 2, `the bytes came from presigned storage, in pieces (${storageReads.length} reads)`);
      assert.equal(cloud.storage.authorizationSeen, false, 'no credential went to the storage');
      assert.ok((await target.getManifest('team/out', 'v2', [image.index.mediaType])).bytes.equals(image.index.bytes));
      for (const blob of image.blobs) assert.equal((await target.statBlob('team/out', blob.digest)).size, blob.bytes.length);
    } finally {
      await redirecting.close();
      await target.close();
      await b.stop();
    }
  });
});
