import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { MediaType, parseManifest } from '#oci';
import { GenericRegistry } from '../../libs/registry/src/backends/generic';
import type { BlobBody } from '../../libs/registry/src/port';
import { startDistribution, type Distribution } from '../support/distribution';
import { buildMultiArchImage, type BuiltBlob, type BuiltImage } from '../support/oci-image';
import { tempDir } from '../support/temp';
import { rejectsWith } from '../support/oci-assert';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function bytesOf(body: BlobBody): Promise<Buffer> {
  assert.equal(body.kind, 'stream');
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function pushImage(registry: GenericRegistry, repo: string, image: BuiltImage): Promise<void> {
  for (const blob of image.blobs) await registry.putBlob(repo, blob.digest, Readable.from([blob.bytes]), blob.bytes.length);
  for (const m of image.manifests) await registry.putManifest(repo, m.digest, { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest });
  await registry.putManifest(repo, image.tag, { bytes: image.index.bytes, mediaType: image.index.mediaType, digest: image.index.digest });
}

/** Makes the config and layers of the `i`th platform manifest available in `repo`. */
async function mountPlatform(registry: GenericRegistry, repo: string, image: BuiltImage, i: number): Promise<BuiltBlob> {
  const manifest = image.manifests[i]!;
  for (const d of parseManifest(manifest.bytes, manifest.mediaType).blobs) assert.equal(await registry.mountBlob(repo, d.digest, 'team/app'), true);
  return manifest;
}

describe('GenericRegistry against distribution 2.8 (anonymous)', () => {
  const layout = tempDir('generic-layout');
  let upstream: Distribution;
  let registry: GenericRegistry;
  let image: BuiltImage;

  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    registry = new GenericRegistry({
      name: 'corp', type: 'registry', url: upstream.url, blobMode: 'proxy',
      timeouts: { connectMs: 2000, readMs: 10000 }, retries: 2, logger: pino({ level: 'silent' }),
    });
    image = buildMultiArchImage(layout.path, { withReferrer: true });
    await pushImage(registry, 'team/app', image);
  });
  after(async () => {
    await registry?.close();
    await upstream?.stop();
    layout.remove();
  });

  test('monolithic blob: stat and GET return the exact bytes', async () => {
    const bytes = randomBytes(5000);
    await registry.putBlob('team/blobs', sha(bytes), Readable.from([bytes]), bytes.length);
    assert.deepEqual(await registry.statBlob('team/blobs', sha(bytes)), { digest: sha(bytes), size: 5000 });
    const body = await registry.getBlob('team/blobs', sha(bytes));
    assert.equal(body.kind === 'stream' && body.size, 5000);
    assert.deepEqual(await bytesOf(body), bytes);
  });

  test('monolithic blob of unknown length, and a wrong digest is refused', async () => {
    const bytes = randomBytes(3000);
    await registry.putBlob('team/blobs', sha(bytes), Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    assert.equal((await registry.statBlob('team/blobs', sha(bytes))).size, 3000);
    await rejectsWith(registry.putBlob('team/blobs', sha(randomBytes(10)), Readable.from([bytes]), bytes.length), 'DIGEST_INVALID');
  });

  test('chunked upload: start, PATCH with and without a length, finish with a last chunk of unknown length', async () => {
    const bytes = randomBytes(70_000);
    const started = await registry.startUpload('team/chunked');
    assert.equal(started.size, 0);
    const first = await registry.writeChunk('team/chunked', started.handle, { body: Readable.from([bytes.subarray(0, 30_000)]), offset: 0, length: 30_000 });
    assert.equal(first.size, 30_000);
    const second = await registry.writeChunk('team/chunked', first.handle, { body: Readable.from([bytes.subarray(30_000, 60_000)]), offset: 30_000 });
    assert.equal(second.size, 60_000);
    // Out of order: refused before anything is sent.
    await rejectsWith(registry.writeChunk('team/chunked', second.handle, { body: Readable.from([Buffer.alloc(1)]), offset: 5, length: 1 }), 'RANGE_INVALID');
    await registry.finishUpload('team/chunked', second.handle, sha(bytes), { body: Readable.from([bytes.subarray(60_000)]), offset: 60_000 });
    assert.deepEqual(await bytesOf(await registry.getBlob('team/chunked', sha(bytes))), bytes);
  });

  test('finishUpload without a last chunk, and cancelUpload forgets the session', async () => {
    const bytes = randomBytes(100);
    const s = await registry.startUpload('team/chunked');
    const p = await registry.writeChunk('team/chunked', s.handle, { body: Readable.from([bytes]), offset: 0, length: 100 });
    await registry.finishUpload('team/chunked', p.handle, sha(bytes));
    assert.equal((await registry.statBlob('team/chunked', sha(bytes))).size, 100);

    const doomed = await registry.startUpload('team/chunked');
    await registry.cancelUpload('team/chunked', doomed.handle);
    await rejectsWith(registry.writeChunk('team/chunked', doomed.handle, { body: Readable.from([bytes]), offset: 0, length: 100 }), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('mount: 201 when the blob exists in the source, 202 (false) otherwise, without leaking a session', async () => {
    const layer = image.blobs[1]!;
    assert.equal(await registry.mountBlob('team/mounted', layer.digest, 'team/app'), true);
    assert.equal((await registry.statBlob('team/mounted', layer.digest)).size, layer.bytes.length);
    assert.equal(await registry.mountBlob('team/mounted', sha(randomBytes(8)), 'team/app'), false);
    // distribution keeps an emptied directory for a cancelled session; a live one has `startedat`.
    const uploads = join(upstream.rootDir, 'docker/registry/v2/repositories/team/mounted/_uploads');
    const live = (existsSync(uploads) ? readdirSync(uploads) : []).filter((id) => existsSync(join(uploads, id, 'startedat')));
    assert.deepEqual(live, [], 'the session the 202 opened was cancelled');
  });

  test('the multi-arch image: index and manifests by tag and digest, byte for byte', async () => {
    const byTag = await registry.getManifest('team/app', image.tag, []);
    assert.deepEqual(byTag.bytes, image.index.bytes);
    assert.equal(byTag.digest, image.index.digest);
    assert.equal(byTag.mediaType, MediaType.OCI_INDEX);
    const byDigest = await registry.getManifest('team/app', image.index.digest, [MediaType.OCI_INDEX]);
    assert.deepEqual(byDigest.bytes, image.index.bytes);
    for (const m of image.manifests) {
      const got = await registry.getManifest('team/app', m.digest, [MediaType.OCI_MANIFEST]);
      assert.deepEqual(got.bytes, m.bytes);
      assert.equal(got.mediaType, MediaType.OCI_MANIFEST);
    }
    assert.deepEqual(await registry.statManifest('team/app', image.tag, []), {
      mediaType: MediaType.OCI_INDEX, digest: image.index.digest, size: image.index.bytes.length,
    });
    assert.equal((await registry.statManifest('team/app', image.manifests[0]!.digest, [])).size, image.manifests[0]!.bytes.length);
  });

  test('unknown things map to the right codes', async () => {
    await rejectsWith(registry.getManifest('team/app', 'nope', []), 'MANIFEST_UNKNOWN');
    await rejectsWith(registry.statManifest('team/app', 'nope', []), 'MANIFEST_UNKNOWN');
    await rejectsWith(registry.statBlob('team/app', sha(Buffer.from('x'))), 'BLOB_UNKNOWN');
    await rejectsWith(registry.getBlob('team/app', sha(Buffer.from('x'))), 'BLOB_UNKNOWN');
    await rejectsWith(registry.listTags('team/nothing-here', {}), 'NAME_UNKNOWN');
    await rejectsWith(registry.getManifest('Bad/Name', 'v1', []), 'NAME_INVALID');
  });

  test('blob ranges: 206 with the served range and total size; unsatisfiable is RANGE_INVALID', async () => {
    const layer = image.blobs[1]!;
    const part = await registry.getBlob('team/app', layer.digest, { start: 10, end: 99 });
    assert.equal(part.kind, 'stream');
    if (part.kind !== 'stream') return;
    assert.deepEqual(part.range, { start: 10, end: 99 });
    assert.equal(part.size, layer.bytes.length);
    assert.deepEqual(await bytesOf(part), layer.bytes.subarray(10, 100));
    const tail = await registry.getBlob('team/app', layer.digest, { start: 100 });
    assert.deepEqual(await bytesOf(tail), layer.bytes.subarray(100));
    await rejectsWith(registry.getBlob('team/app', layer.digest, { start: layer.bytes.length + 10 }), 'RANGE_INVALID');
  });

  test('tags: the whole list, sorted, paginated with n and last', async () => {
    const m = await mountPlatform(registry, 'team/tags', image, 0);
    for (const tag of ['b', 'a', 'd', 'c', 'e']) {
      await registry.putManifest('team/tags', tag, { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest });
    }
    assert.deepEqual(await registry.listTags('team/tags', {}), { items: ['a', 'b', 'c', 'd', 'e'] });
    assert.deepEqual(await registry.listTags('team/tags', { n: 2 }), { items: ['a', 'b'], next: 'b' });
    assert.deepEqual(await registry.listTags('team/tags', { n: 2, last: 'b' }), { items: ['c', 'd'], next: 'd' });
    assert.deepEqual(await registry.listTags('team/tags', { n: 2, last: 'd' }), { items: ['e'] });
  });

  test('catalog lists repositories, paginated', async () => {
    assert.ok(registry.listRepositories);
    const all = await registry.listRepositories({});
    for (const name of ['team/app', 'team/blobs', 'team/tags']) assert.ok(all.items.includes(name), name);
    assert.deepEqual([...all.items].sort(), all.items);
    const first = await registry.listRepositories({ n: 1 });
    assert.equal(first.items.length, 1);
    assert.equal(first.next, first.items[0]);
  });

  test('referrers through the tag schema: put maintains the index, artifactType filters, delete removes', async () => {
    const referrer = image.referrer!;
    const subject = parseManifest(referrer.bytes, referrer.mediaType).subject!;
    const put = await registry.putManifest('team/app', referrer.digest, { bytes: referrer.bytes, mediaType: referrer.mediaType, digest: referrer.digest }, subject);
    assert.deepEqual(put, { digest: referrer.digest, subject: image.index.digest });
    assert.equal((await registry.status()).referrers, 'tag-schema');

    const all = await registry.listReferrers('team/app', image.index.digest);
    assert.equal(all.filtered, false);
    assert.deepEqual(all.manifests, [{
      mediaType: referrer.mediaType, digest: referrer.digest, size: referrer.bytes.length,
      artifactType: 'application/vnd.example.signature.v1', annotations: { 'org.example.signed-by': 'gantry-tests' },
    }]);
    const tagIndex = await registry.getManifest('team/app', `sha256-${image.index.digest.slice(7)}`, []);
    assert.equal(tagIndex.mediaType, MediaType.OCI_INDEX, 'the fallback index is a real tag upstream');

    assert.deepEqual(await registry.listReferrers('team/app', image.index.digest, 'application/vnd.example.signature.v1'), { manifests: all.manifests, filtered: true });
    assert.deepEqual(await registry.listReferrers('team/app', image.index.digest, 'application/vnd.example.sbom'), { manifests: [], filtered: true });
    assert.deepEqual(await registry.listReferrers('team/app', image.manifests[0]!.digest), { manifests: [], filtered: false });

    // Pushing again replaces, never duplicates.
    await registry.putManifest('team/app', referrer.digest, { bytes: referrer.bytes, mediaType: referrer.mediaType, digest: referrer.digest }, subject);
    assert.equal((await registry.listReferrers('team/app', image.index.digest)).manifests.length, 1);

    await registry.deleteManifest('team/app', referrer.digest);
    assert.deepEqual((await registry.listReferrers('team/app', image.index.digest)).manifests, []);
    await rejectsWith(registry.getManifest('team/app', referrer.digest, []), 'MANIFEST_UNKNOWN');
  });

  test('deletes: manifest by digest and blob; distribution 2.8 cannot untag', async () => {
    const m = await mountPlatform(registry, 'team/del', image, 1);
    await registry.putManifest('team/del', 'keep', { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest });
    await rejectsWith(registry.deleteManifest('team/del', 'keep'), 'UNSUPPORTED', /backend corp cannot delete a tag/);
    assert.deepEqual((await registry.listTags('team/del', {})).items, ['keep']);
    await registry.deleteManifest('team/del', m.digest);
    await rejectsWith(registry.getManifest('team/del', m.digest, []), 'MANIFEST_UNKNOWN');

    const bytes = randomBytes(64);
    await registry.putBlob('team/del', sha(bytes), Readable.from([bytes]), 64);
    await registry.deleteBlob('team/del', sha(bytes));
    await rejectsWith(registry.statBlob('team/del', sha(bytes)), 'BLOB_UNKNOWN');
  });

  test('a manifest whose stored bytes were altered is never served', async () => {
    const m = await mountPlatform(registry, 'team/tampered', image, 0);
    await registry.putManifest('team/tampered', 'v1', { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest });
    const hex = m.digest.slice(7);
    const data = join(upstream.rootDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    writeFileSync(data, Buffer.from(m.bytes.toString('utf8').replace('"schemaVersion":2', '"schemaVersion": 2')));
    await rejectsWith(registry.getManifest('team/tampered', m.digest, []), 'UNAVAILABLE', /does not match/);
    await rejectsWith(registry.getManifest('team/tampered', 'v1', []), 'UNAVAILABLE', /does not match/);
    writeFileSync(data, m.bytes);
  });

  test('status names the backend and holds no secret', async () => {
    const status = await registry.status();
    assert.equal(status.name, 'corp');
    assert.equal(status.type, 'registry');
    assert.equal(status.url, upstream.url);
    assert.deepEqual(status.credentials, { state: 'none' });
  });

  test('upload bodies stream: a large blob goes through in chunks', async () => {
    const bytes = randomBytes(8 * 1024 * 1024);
    const chunks = Array.from({ length: 128 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    await registry.putBlob('team/big', sha(bytes), Readable.from(chunks), bytes.length);
    const body = await registry.getBlob('team/big', sha(bytes));
    assert.equal(body.kind === 'stream' && body.size, bytes.length);
    assert.equal(sha(await bytesOf(body)), sha(bytes));
  });
});
