import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OciError } from './errors';
import { parseManifest } from './manifest';
import { referencesOf } from './manifest-references';
import { MediaType } from './media-types';

const d = (c: string, n = 64): string => `sha256:${c.repeat(n)}`;
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('1'), size: 10 };
const config = { mediaType: MediaType.OCI_CONFIG, digest: d('2'), size: 5 };
const image = (extra: Record<string, unknown> = {}): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config, layers: [layer], ...extra }));
const index = (child: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [{ mediaType: MediaType.OCI_MANIFEST, digest: d('3'), size: 7, ...child }], ...extra }));

function refused(bytes: Buffer | string, type: string | undefined, message: RegExp): void {
  assert.throws(() => parseManifest(Buffer.from(bytes), type), (err: unknown) => {
    assert.ok(err instanceof OciError, String(err));
    assert.equal(err.code, 'MANIFEST_INVALID');
    assert.equal(err.status, 400);
    assert.match(err.message, message);
    return true;
  });
}

test('a valid image manifest and index parse with their references', () => {
  const parsed = parseManifest(image({ annotations: { a: 'b' }, artifactType: 'application/vnd.example+json' }), MediaType.OCI_MANIFEST);
  assert.deepEqual(parsed.config, config);
  assert.deepEqual(parsed.blobs, [config, layer]);
  assert.deepEqual(parsed.annotations, { a: 'b' });
  assert.equal(parsed.artifactType, 'application/vnd.example+json');
  const list = parseManifest(index({ platform: { architecture: 'amd64', os: 'linux' } }), undefined);
  assert.equal(list.isIndex, true);
  assert.deepEqual(list.manifests[0]?.platform, { architecture: 'amd64', os: 'linux' });
});

test('Docker schema 1 is refused whatever says so: either media type, or schemaVersion 1', () => {
  refused('{"foo":1}', MediaType.DOCKER_MANIFEST_V1, /schema 1/);
  refused('{"schemaVersion":1,"fsLayers":[]}', MediaType.DOCKER_MANIFEST_V1_SIGNED, /schema 1/);
  refused('{"schemaVersion":1,"fsLayers":[]}', undefined, /schema 1/);
  refused(`{"schemaVersion":1,"mediaType":"${MediaType.DOCKER_MANIFEST_V1_SIGNED}"}`, undefined, /schema 1/);
  refused('{"foo":1}', undefined, /schemaVersion must be 2/);
});

test('annotations are string-to-string maps on the manifest, its descriptors and indexes', () => {
  refused(image({ annotations: { a: 1 } }), undefined, /^annotations\.a: must be a string/);
  refused(image({ annotations: ['a'] }), undefined, /^annotations: must be a map/);
  refused(image({ layers: [{ ...layer, annotations: { k: ['v'] } }] }), undefined, /^layers\[0\]\.annotations\.k/);
  refused(image({ config: { ...config, annotations: 'x' } }), undefined, /^config\.annotations/);
  refused(index({}, { annotations: { a: { b: 'c' } } }), undefined, /^annotations\.a/);
  const deep = '{"a":'.repeat(100_000) + '"x"' + '}'.repeat(100_000);
  refused(image().toString().replace(/}$/, `,"annotations":${deep}}`), undefined, /^annotations\.a: must be a string/);
  assert.equal(parseManifest(image({ annotations: null }), undefined).annotations, undefined, 'null reads as absent, as Go registries read it');
});

test('descriptor digests must be digests Gantry can verify', () => {
  for (const bad of [`md5:${'0'.repeat(32)}`, `sha384:${'a'.repeat(96)}`, `sha256:${'A'.repeat(64)}`, 'sha256:abc', d('a', 65), 'nodigest']) {
    refused(image({ layers: [{ ...layer, digest: bad }] }), undefined, /^layers\[0\]\.digest/);
    refused(image({ subject: { ...config, digest: bad } }), undefined, /^subject\.digest/);
    refused(index({ digest: bad }), undefined, /^manifests\[0\]\.digest/);
  }
  refused(image({ config: { ...config, digest: `sha512:${'b'.repeat(127)}` } }), undefined, /^config\.digest/);
  assert.equal(parseManifest(image({ config: { ...config, digest: `sha512:${'b'.repeat(128)}` } }), undefined).config?.digest.slice(0, 7), 'sha512:');
});

test('descriptors need a media type, a size and, when present, string urls', () => {
  refused(image({ layers: [{ ...layer, mediaType: '' }] }), undefined, /layers\[0\]\.mediaType/);
  refused(image({ layers: [{ ...layer, mediaType: 'not a media type' }] }), undefined, /layers\[0\]\.mediaType/);
  refused(image({ layers: [{ ...layer, size: -1 }] }), undefined, /layers\[0\]\.size/);
  refused(image({ layers: [{ ...layer, size: 1.5 }] }), undefined, /layers\[0\]\.size/);
  refused(image({ layers: [{ ...layer, urls: [1] }] }), undefined, /layers\[0\]\.urls/);
  refused(image({ artifactType: 7 }), undefined, /^artifactType/);
  refused(image({ layers: {} }), undefined, /^layers: must be an array/);
});

test('platform: the fields the spec defines are checked and copied, unknown ones ignored however deep', () => {
  const full = { architecture: 'arm64', os: 'windows', 'os.version': '10.0.17763', 'os.features': ['win32k'], variant: 'v8', features: ['sse4'] };
  const deep = '['.repeat(6000) + ']'.repeat(6000);
  const bytes = index({ platform: full }).toString().replace('"features":["sse4"]', `"features":["sse4"],"x-extra":${deep}`);
  const platform = parseManifest(Buffer.from(bytes), undefined).manifests[0]?.platform;
  assert.deepEqual(platform, full);
  assert.doesNotThrow(() => JSON.stringify(platform));
  refused(index({ platform: { architecture: 'amd64' } }), undefined, /platform\.os/);
  refused(index({ platform: { os: 'linux', architecture: 64 } }), undefined, /platform\.architecture/);
  refused(index({ platform: { os: 'linux', architecture: 'amd64', 'os.features': 'x' } }), undefined, /platform\.os\.features/);
  refused(index({ platform: { os: 'linux', architecture: 'amd64', variant: 8 } }), undefined, /platform\.variant/);
  refused(index({ platform: { os: 'linux', architecture: 'amd64', 'os.version': 10 } }), undefined, /platform\.os\.version/);
  refused(index({ platform: ['linux'] }), undefined, /platform: must be an object/);
  refused(index({ platform: { architecture: 'amd64', os: 'linux' } }).toString().replace('"os":"linux"', `"os":"linux","features":${deep}`), undefined, /platform\.features/);
});

test('referencesOf reads stored content leniently, so older manifests keep their blobs', () => {
  const lax = image({ annotations: { a: 1 }, subject: { ...config, digest: `sha384:${'a'.repeat(96)}` } });
  assert.deepEqual(referencesOf(lax), { blobs: [config.digest, layer.digest], manifests: [], subject: `sha384:${'a'.repeat(96)}` });
  assert.deepEqual(referencesOf(Buffer.from(`{"schemaVersion":1,"fsLayers":[{"blobSum":"${d('4')}"}]}`))?.blobs, [d('4')]);
  assert.deepEqual(referencesOf(index({}))?.manifests, [d('3')]);
  assert.equal(referencesOf(Buffer.from('[1]')), undefined);
  assert.equal(referencesOf(Buffer.from('{nope')), undefined);
});
