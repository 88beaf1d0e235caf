import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { MediaType } from '#oci';
import { BlobLinks } from './blob-links';
import { BlobStore } from './blob-store';
import { LocalManifestStore, REFERENCE_CHECK_CONCURRENCY } from './manifest-store';
import { mapConcurrently } from './map-concurrently';
import { StoreLayout } from './paths';
import { ReferrerRecords } from './referrers';
import { blob, body, fixture, rejectsWith, sha256, type Fixture } from './spec-helpers';

/** The real links of the store, counting the lookups a push makes and how many run at once. */
class CountingLinks extends BlobLinks {
  readonly looked: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  override async resolve(repo: string, hex: string): Promise<Stats | undefined> {
    this.looked.push(hex);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      return await super.resolve(repo, hex);
    } finally {
      this.inFlight--;
    }
  }
}

type Blob = { bytes: Buffer; digest: string };
const layerOf = (b: Blob) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: b.digest, size: b.bytes.length });

function wideManifest(config: Blob, layers: Blob[]): { bytes: Buffer; digest: string; mediaType: string } {
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: config.digest, size: config.bytes.length },
    layers: layers.map(layerOf),
  }));
  return { bytes, digest: sha256(bytes), mediaType: MediaType.OCI_MANIFEST };
}

describe('local backend: the references of a pushed manifest', () => {
  let f: Fixture;
  let links: CountingLinks;
  let store: LocalManifestStore;
  beforeEach(async () => {
    f = await fixture();
    const layout = new StoreLayout(f.store);
    const blobs = new BlobStore(layout);
    links = new CountingLinks(layout, blobs);
    store = new LocalManifestStore(layout, blobs, links, new ReferrerRecords(layout));
  });
  afterEach(async () => {
    await f.cleanup();
  });

  async function pushBlobs(count: number, size = 16): Promise<Blob[]> {
    const out = Array.from({ length: count }, () => blob(size));
    await mapConcurrently(out, 64, (b) => f.registry.putBlob('app', b.digest, body(b.bytes)));
    return out;
  }

  test('26,000 layers over a handful of blobs: each distinct digest is looked up once', async () => {
    const distinct = await pushBlobs(5);
    const layers = Array.from({ length: 26_000 }, (_, i) => distinct[i % distinct.length]!);
    const manifest = wideManifest(distinct[0]!, layers);
    assert.deepEqual(await store.put('app', 'wide', manifest), { digest: manifest.digest });
    assert.equal(links.looked.length, 5);
    assert.deepEqual(new Set(links.looked), new Set(distinct.map((b) => b.digest.slice(7))));
    assert.deepEqual((await store.get('app', 'wide')).bytes, manifest.bytes);
  });

  test('thousands of distinct blobs are looked up concurrently, never more than the bound at once', async () => {
    const distinct = await pushBlobs(2_000);
    const manifest = wideManifest(distinct[0]!, [...distinct, ...distinct]);
    await store.put('app', 'many', manifest);
    assert.equal(links.looked.length, 2_000);
    assert.equal(links.maxInFlight, REFERENCE_CHECK_CONCURRENCY);
    assert.deepEqual((await store.get('app', 'many')).bytes, manifest.bytes);
  });

  test('the first missing or mis-sized blob in manifest order is reported, and nothing is stored', async () => {
    const [a, b] = await pushBlobs(2);
    const missing = [blob(16), blob(16)];
    const manifest = wideManifest(a!, [b!, missing[0]!, a!, missing[1]!]);
    const err = await rejectsWith(store.put('app', 'broken', manifest), 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(err.detail, { digest: missing[0]!.digest });
    const resized = Buffer.from(manifest.bytes.toString().replace(`"digest":"${b!.digest}","size":16`, `"digest":"${b!.digest}","size":17`));
    await rejectsWith(store.put('app', 'broken', { bytes: resized, digest: sha256(resized), mediaType: MediaType.OCI_MANIFEST }), 'MANIFEST_INVALID');
    await rejectsWith(store.get('app', 'broken'), 'MANIFEST_UNKNOWN');
  });

  test('the store refuses schema 1 and non-string annotations itself, whoever calls it', async () => {
    const [config, layer] = await pushBlobs(2);
    const schema1 = Buffer.from(`{"schemaVersion":1,"fsLayers":[{"blobSum":"${layer!.digest}"}],"history":[]}`);
    const refused = await rejectsWith(f.registry.putManifest('app', 'old', { bytes: schema1, digest: sha256(schema1), mediaType: MediaType.DOCKER_MANIFEST_V1_SIGNED }), 'MANIFEST_INVALID');
    assert.match(refused.message, /schema 1/);
    const foo = Buffer.from('{"foo":1}');
    await rejectsWith(f.registry.putManifest('app', 'foo', { bytes: foo, digest: sha256(foo), mediaType: MediaType.DOCKER_MANIFEST_V1 }), 'MANIFEST_INVALID');
    const annotated = Buffer.from(wideManifest(config!, [layer!]).bytes.toString().replace(/}$/, ',"annotations":{"a":{"b":"c"}}}'));
    await rejectsWith(f.registry.putManifest('app', 'ann', { bytes: annotated, digest: sha256(annotated), mediaType: MediaType.OCI_MANIFEST }), 'MANIFEST_INVALID');
    assert.deepEqual((await f.registry.listTags('app', {})).items, []);
  });

  test('a reference this store can never hold reads as unknown; pushing under it is a client error', async () => {
    for (const reference of [`sha512:${'a'.repeat(128)}`, '.INVALID', `sha256:${'A'.repeat(64)}`]) {
      await rejectsWith(f.registry.getManifest('app', reference, []), 'MANIFEST_UNKNOWN', 404);
      await rejectsWith(f.registry.deleteManifest('app', reference), 'MANIFEST_UNKNOWN', 404);
    }
    const [config, layer] = await pushBlobs(2);
    const manifest = wideManifest(config!, [layer!]);
    await rejectsWith(f.registry.putManifest('app', '.INVALID', manifest), 'TAG_INVALID', 400);
    await rejectsWith(f.registry.putManifest('app', `sha512:${'a'.repeat(128)}`, manifest), 'DIGEST_INVALID', 400);
  });
});
