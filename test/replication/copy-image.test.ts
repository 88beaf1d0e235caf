import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Registry } from '#registry';
import { RegistryImageCopier } from '#replication';
import { cosignKeyPair, cosignSign } from '../support/cosign';
import { startDistribution, type Distribution } from '../support/distribution';
import { describe as descriptorOf } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';
import { copyTuning, intoRegistry, pushMultiArchImage, pushSbom, registryAt } from './copy-fixtures';

describe('copy engine: a multi-arch image with its signatures and SBOM, registry A to registry B', () => {
  const dir = tempDir('copy-image');
  let a: Distribution;
  let b: Distribution;
  let source: Registry;
  let destination: Registry;

  before(async () => {
    [a, b] = await Promise.all([startDistribution(), startDistribution()]);
    source = await registryAt(a.url, 'a');
    destination = await registryAt(b.url, 'b');
  });
  after(async () => {
    await source?.close();
    await destination?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    dir.remove();
  });

  test('every manifest, blob and referrer lands byte-identical, and the tag points at the index', async () => {
    const image = await pushMultiArchImage(source, 'team/app', 'v1');
    const key = cosignKeyPair(dir.path, 'release');
    const pusher = intoRegistry(source);
    const indexSubject = descriptorOf(image.index);
    const tagSignature = await cosignSign(pusher, 'team/app', indexSubject, key, { form: 'tag' });
    const referrerSignature = await cosignSign(pusher, 'team/app', indexSubject, key, { form: 'referrer' });
    const platformSignature = await cosignSign(pusher, 'team/app', descriptorOf(image.manifests[0]!), key, { form: 'referrer' });
    const sbom = await pushSbom(source, 'team/app', image.index);
    // A signature of the SBOM: referrers are followed recursively.
    const sbomSignature = await cosignSign(pusher, 'team/app', descriptorOf(sbom), key, { form: 'referrer' });

    const result = await new RegistryImageCopier().copy({
      source: { registry: source, repository: 'team/app' }, reference: 'v1',
      destination: { registry: destination, repository: 'mirror/app' }, tag: 'v1', ...copyTuning,
    });

    assert.equal(result.digest, image.index.digest);
    assert.equal(result.manifests, 3);
    assert.equal(result.referrers, 5);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${b.host}/mirror/app:v1`]);
    assert.equal(raw.stdout, image.index.bytes.toString(), 'the index is byte-identical under the tag');
    for (const manifest of image.manifests) {
      const got = await destination.getManifest('mirror/app', manifest.digest, [manifest.mediaType]);
      assert.ok(got.bytes.equals(manifest.bytes), `platform manifest ${manifest.digest}`);
    }
    for (const blob of image.blobs) {
      const meta = await destination.statBlob('mirror/app', blob.digest);
      assert.equal(meta.size, blob.bytes.length, `blob ${blob.digest}`);
    }
    const cosignTag = `${image.index.digest.replace(':', '-')}.sig`;
    const tagged = await destination.getManifest('mirror/app', cosignTag, ['application/vnd.oci.image.manifest.v1+json']);
    assert.equal(tagged.digest, tagSignature, 'cosign tag-scheme signature under its tag');

    const indexReferrers = (await destination.listReferrers('mirror/app', image.index.digest)).manifests.map((d) => d.digest).sort();
    assert.deepEqual(indexReferrers, [referrerSignature, sbom.digest].sort());
    const sbomEntry = (await destination.listReferrers('mirror/app', image.index.digest)).manifests.find((d) => d.digest === sbom.digest);
    assert.equal(sbomEntry?.artifactType, 'application/spdx+json');
    assert.deepEqual((await destination.listReferrers('mirror/app', sbom.digest)).manifests.map((d) => d.digest), [sbomSignature]);
    assert.deepEqual((await destination.listReferrers('mirror/app', image.manifests[0]!.digest)).manifests.map((d) => d.digest), [platformSignature]);
  });
});
