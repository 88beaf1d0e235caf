import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { backendSchema } from '#config';
import { createBackend, type Registry } from '#registry';
import { RegistryImageCopier } from '#replication/runtime';
import { cosignKeyPair, cosignSign } from '../support/cosign';
import { startDistribution, type Distribution } from '../support/distribution';
import { describe as descriptorOf } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';
import { startGateway } from '../support/gateway-process';
import { jsonOf, randomBlob, sha256, V2Client, type Blob, type IndexBody } from '../support/v2-client';
import { copyTuning, intoRegistry, pushMultiArchImage, pushSbom, registryAt, silent } from './copy-fixtures';

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

    // distribution 2.8 has no referrers API: a client asks Gantry in front of B, which answers from the tag schema.
    const gateway = await startGateway({ backends: { b: { type: 'registry', url: b.url } }, routes: [{ prefix: '', backend: 'b', cache: false }] });
    try {
      const res = await new V2Client(gateway.url).request('GET', `/v2/mirror/app/referrers/${image.index.digest}`);
      assert.equal(res.status, 200);
      const body = await jsonOf<IndexBody>(res);
      assert.deepEqual(body.manifests.map((d) => d.digest).sort(), [referrerSignature, sbom.digest].sort());
      assert.equal(body.manifests.find((d) => d.digest === sbom.digest)?.artifactType, 'application/spdx+json');
    } finally {
      await gateway.stop();
    }
  });

  test('a Docker manifest list of Docker v2 images lands byte-identical in the embedded store', async () => {
    const pusher = intoRegistry(source);
    const entries: object[] = [];
    const children: Blob[] = [];
    const blobs: Blob[] = [];
    for (const architecture of ['amd64', 'arm64']) {
      const config = { bytes: Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })), digest: '' };
      config.digest = sha256(config.bytes);
      const layer = randomBlob(3000);
      blobs.push(config, layer);
      for (const blob of [config, layer]) await pusher.pushBlob('docker/app', blob);
      const manifest = json({
        schemaVersion: 2, mediaType: DOCKER_MANIFEST,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config.digest, size: config.bytes.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer.digest, size: layer.bytes.length }],
      });
      await pusher.pushManifest('docker/app', manifest.digest, manifest, DOCKER_MANIFEST);
      children.push(manifest);
      entries.push({ mediaType: DOCKER_MANIFEST, digest: manifest.digest, size: manifest.bytes.length, platform: { architecture, os: 'linux' } });
    }
    const list = json({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: entries });
    await pusher.pushManifest('docker/app', 'latest', list, DOCKER_LIST);
    const store = await createBackend('store', backendSchema.parse({ type: 'local', path: join(dir.path, 'store') }), silent);
    try {
      const result = await new RegistryImageCopier().copy({
        source: { registry: source, repository: 'docker/app' }, reference: 'latest',
        destination: { registry: store, repository: 'library/app' }, tag: 'latest', ...copyTuning,
      });
      assert.equal(result.digest, list.digest);
      assert.equal(result.blobsCopied, 4);
      const landed = await store.getManifest('library/app', 'latest', [DOCKER_LIST]);
      assert.equal(landed.mediaType, DOCKER_LIST);
      assert.ok(landed.bytes.equals(list.bytes));
      for (const child of children) {
        const got = await store.getManifest('library/app', child.digest, [DOCKER_MANIFEST]);
        assert.equal(got.mediaType, DOCKER_MANIFEST);
        assert.ok(got.bytes.equals(child.bytes));
      }
      for (const blob of blobs) assert.equal((await store.statBlob('library/app', blob.digest)).size, blob.bytes.length);
    } finally {
      await store.close();
    }
  });
});

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** Pretty-printed, so that a copy that re-serialised would change the digest. */
function json(doc: object): Blob {
  const bytes = Buffer.from(JSON.stringify(doc, null, 3));
  return { bytes, digest: sha256(bytes) };
}
