import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Registry } from '#registry';
import { RegistryImageCopier } from '#replication/runtime';
import { cosignKeyPair, cosignSign } from '../support/cosign';
import { startDistribution, type Distribution } from '../support/distribution';
import { describe as descriptorOf } from '../support/oci-image';
import { startRecordingFront, type RecordingFront } from '../support/recording-front';
import { tempDir } from '../support/temp';
import { copyTuning, intoRegistry, pushMultiArchImage, registryAt } from './copy-fixtures';

describe('copy engine: within one backend, blobs are mounted, not transferred', () => {
  const dir = tempDir('copy-mount');
  let registry: Distribution;
  let front: RecordingFront;
  let backend: Registry;

  before(async () => {
    registry = await startDistribution();
    front = await startRecordingFront(registry.url);
    backend = await registryAt(front.url, 'one');
  });
  after(async () => {
    await backend?.close();
    await front?.stop();
    await registry?.stop();
    dir.remove();
  });

  test('a copy to another repository of the same registry mounts every blob and sends no blob bytes', async () => {
    const image = await pushMultiArchImage(backend, 'team/app', 'v1');
    await cosignSign(intoRegistry(backend), 'team/app', descriptorOf(image.index), cosignKeyPair(dir.path, 'k'), { form: 'referrer' });
    front.reset();

    const result = await new RegistryImageCopier().copy({
      source: { registry: backend, repository: 'team/app' }, reference: 'v1',
      destination: { registry: backend, repository: 'prod/app' }, tag: 'v1', ...copyTuning,
    });

    // 4 layers + 2 configs + the signature's empty config and payload.
    assert.equal(result.blobsMounted, image.blobs.length + 2);
    assert.equal(result.blobsCopied, 0);
    assert.equal(front.uploadBytes(), 0, 'no blob bytes went up');
    assert.equal(front.requests.filter((r) => r.method === 'PATCH').length, 0);
    assert.equal(front.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length, 0, 'no blob was read');
    const mounts = front.requests.filter((r) => r.method === 'POST' && r.url.includes('mount=') && r.status === 201);
    assert.equal(mounts.length, result.blobsMounted);
    const copied = await backend.getManifest('prod/app', 'v1', [image.index.mediaType]);
    assert.equal(copied.digest, image.index.digest);
    for (const blob of image.blobs) assert.equal((await backend.statBlob('prod/app', blob.digest)).size, blob.bytes.length);
  });
});
