import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isOciError } from '#oci';
import { type Registry } from '#registry';
import { RegistryImageCopier } from '#replication';
import { startBlobRelay, type BlobRelay } from '../support/blob-relay';
import { startDistribution, type Distribution } from '../support/distribution';
import { copyTuning, pushMultiArchImage, registryAt } from './copy-fixtures';

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
});
