import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptKey } from './cache-keys';
import { digestOf, MediaType } from '#oci';
import { decodeManifest, decodeVariants, encodeManifest, encodeVariants, readVariants } from './cache-entries';

test('an entry read for reading is parsed once per Buffer, frozen all the way down, and fresh for changing', () => {
  const entry = encodeVariants({ a: { storedAt: 1, value: { items: ['v1', 'v2'] } } });
  const first = readVariants<{ items: string[] }>(entry);
  assert.deepEqual(first.a?.value.items, ['v1', 'v2']);
  assert.equal(readVariants(entry), first, 'the same Buffer is not parsed again');
  assert.notEqual(readVariants(Buffer.from(entry)), first, 'another Buffer (e.g. from Redis) is parsed on its own');
  assert.throws(() => (first.a!.value.items as string[]).push('v3'), TypeError);
  assert.throws(() => {
    (first as Record<string, unknown>).b = 1;
  }, TypeError);

  const changeable = decodeVariants<{ items: string[] }>(entry);
  changeable.a!.value.items.push('v3');
  assert.deepEqual(readVariants<{ items: string[] }>(entry).a?.value.items, ['v1', 'v2'], 'changing a decoded copy leaves the shared one alone');
  assert.deepEqual(readVariants(undefined), {});
});

test('the key of an Accept set ignores order, case and repeats, and is stable once remembered', () => {
  const key = acceptKey(['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json']);
  assert.equal(acceptKey([' application/vnd.oci.image.manifest.v1+json', 'APPLICATION/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.index.v1+json']), key);
  assert.notEqual(acceptKey(['application/vnd.oci.image.manifest.v1+json']), key);
  for (let i = 0; i < 300; i++) acceptKey([`application/x-${i}`]); // past the memo's size: it starts over
  assert.equal(acceptKey(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json']), key);
  assert.match(key, /^[0-9a-f]{16}$/);
});

test('a manifest entry is decoded and hashed once per Buffer; a damaged or mismatched one is no manifest', () => {
  const bytes = Buffer.from('{"schemaVersion":2}');
  const digest = digestOf(bytes, 'sha256');
  const entry = encodeManifest({ bytes, mediaType: MediaType.OCI_MANIFEST, digest })!;
  const first = decodeManifest(entry, digest);
  assert.deepEqual(first && { ...first, bytes: Buffer.from(first.bytes) }, { bytes, mediaType: MediaType.OCI_MANIFEST, digest });
  assert.equal(decodeManifest(entry, digest), first, 'the same Buffer is not decoded again');
  assert.ok(Object.isFrozen(first));
  assert.equal(decodeManifest(entry, `sha256:${'0'.repeat(64)}`), undefined, 'the entry of another digest');

  const tampered = Buffer.from(entry);
  tampered[tampered.length - 2] = 0x20;
  assert.equal(decodeManifest(tampered, digest), undefined, 'bytes that do not hash to the digest');
  assert.equal(decodeManifest(Buffer.from([0, 0, 0, 99, 1]), digest), undefined, 'a truncated entry');
  assert.equal(encodeManifest({ bytes, mediaType: MediaType.OCI_MANIFEST, digest: `sha256:${'0'.repeat(64)}` }), undefined);
});
