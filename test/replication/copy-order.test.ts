import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Registry } from '#registry';
import { RegistryImageCopier } from '#replication/runtime';
import { cosignKeyPair, cosignSign } from '../support/cosign';
import { startDistribution, type Distribution } from '../support/distribution';
import { describe as descriptorOf, type BuiltImage } from '../support/oci-image';
import { startRecordingFront, type RecordedRequest, type RecordingFront } from '../support/recording-front';
import { tempDir } from '../support/temp';
import { copyTuning, intoRegistry, pushMultiArchImage, pushSbom, registryAt } from './copy-fixtures';

const isWrite = (r: RecordedRequest): boolean => r.method === 'PUT' || r.method === 'PATCH' || r.method === 'POST';

describe('copy engine: push order at the destination, and a second copy that skips everything', () => {
  const dir = tempDir('copy-order');
  let a: Distribution;
  let b: Distribution;
  let front: RecordingFront;
  let source: Registry;
  let destination: Registry;
  let image: BuiltImage;
  let signature: string;
  let sbom: string;

  before(async () => {
    [a, b] = await Promise.all([startDistribution(), startDistribution()]);
    front = await startRecordingFront(b.url);
    source = await registryAt(a.url, 'a');
    destination = await registryAt(front.url, 'b');
    image = await pushMultiArchImage(source, 'team/app', 'v1');
    const key = cosignKeyPair(dir.path, 'release');
    await cosignSign(intoRegistry(source), 'team/app', descriptorOf(image.index), key, { form: 'tag' });
    signature = await cosignSign(intoRegistry(source), 'team/app', descriptorOf(image.index), key, { form: 'referrer' });
    sbom = (await pushSbom(source, 'team/app', image.index)).digest;
  });
  after(async () => {
    await source?.close();
    await destination?.close();
    await front?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    dir.remove();
  });

  const copy = () => new RegistryImageCopier().copy({
    source: { registry: source, repository: 'team/app' }, reference: 'v1',
    destination: { registry: destination, repository: 'mirror/app' }, tag: 'v1', ...copyTuning,
  });

  test('blobs before their manifest, platform manifests before the index, subjects before referrers, the tag last', async () => {
    await copy();
    const writes = front.requests.filter(isWrite);
    const manifestPut = (reference: string): RecordedRequest => {
      const put = writes.find((r) => r.path === `/v2/mirror/app/manifests/${reference}`);
      assert.ok(put, `a PUT of manifest ${reference}`);
      return put;
    };
    const blobPut = (digest: string): RecordedRequest => {
      const put = writes.find((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/') && new URL(r.url, 'http://x').searchParams.get('digest') === digest);
      assert.ok(put, `an upload of blob ${digest} completed`);
      return put;
    };
    const before = (first: RecordedRequest, then: RecordedRequest, what: string): void => {
      assert.ok(first.done !== undefined && first.done < then.arrived, what);
    };
    for (const [i, manifest] of image.manifests.entries()) {
      const doc = JSON.parse(manifest.bytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
      for (const blob of [doc.config, ...doc.layers]) {
        before(blobPut(blob.digest), manifestPut(manifest.digest), `blob ${blob.digest} before platform manifest ${i}`);
      }
      before(manifestPut(manifest.digest), manifestPut(image.index.digest), `platform manifest ${i} before the index`);
    }
    before(manifestPut(image.index.digest), manifestPut(signature), 'the index before its signature');
    before(manifestPut(image.index.digest), manifestPut(sbom), 'the index before its SBOM');
    before(manifestPut(image.index.digest), manifestPut(`${image.index.digest.replace(':', '-')}.sig`), 'the index before its cosign tag');
    const tag = manifestPut('v1');
    assert.equal(writes.at(-1), tag, 'the tag is the last write');
    assert.equal(writes.filter((r) => r.path === '/v2/mirror/app/manifests/v1').length, 1);
  });

  test('a second copy writes nothing: no blob, no manifest, no tag', async () => {
    front.reset();
    const result = await copy();
    assert.equal(result.blobsCopied, 0);
    assert.equal(result.bytesCopied, 0);
    assert.ok(result.blobsSkipped > 0);
    const writes = front.requests.filter(isWrite).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(writes.filter((w) => w.includes('/blobs/')), [], 'no blob upload at all');
    assert.deepEqual(writes, [], 'the tags already point at the right digests');
  });

  test('a signature added at the source later is all that the next copy moves', async () => {
    const later = await cosignSign(intoRegistry(source), 'team/app', descriptorOf(image.manifests[1]!), cosignKeyPair(dir.path, 'later'), { form: 'referrer' });
    front.reset();
    const result = await copy();
    assert.equal(result.blobsCopied, 1, 'the new signature payload; its empty config is already there');
    const manifestPuts = front.requests.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).map((r) => r.path);
    assert.deepEqual(manifestPuts, [
      `/v2/mirror/app/manifests/${later}`,
      // The referrers tag-schema index of the platform manifest, which the backend keeps for distribution 2.8.
      `/v2/mirror/app/manifests/${image.manifests[1]!.digest.replace(':', '-')}`,
    ]);
    assert.deepEqual((await destination.listReferrers('mirror/app', image.manifests[1]!.digest)).manifests.map((d) => d.digest), [later]);
  });
});
