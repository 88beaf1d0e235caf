import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MAX_MANIFEST_BYTES, MediaType } from '#oci';
import { blob, body, fixture, indexOf, pushImage, rejectsWith, sha256, type Fixture } from './spec-helpers';

describe('local backend: manifests, tags and catalog', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('put by tag, get by tag and digest byte-for-byte with the media type', async () => {
    const m = await pushImage(f.registry, 'app');
    const result = await f.registry.putManifest('app', 'v1', m);
    assert.deepEqual(result, { digest: m.digest });
    for (const ref of ['v1', m.digest]) {
      const got = await f.registry.getManifest('app', ref, []);
      assert.deepEqual(got.bytes, m.bytes);
      assert.equal(got.digest, m.digest);
      assert.equal(got.mediaType, MediaType.OCI_MANIFEST);
      assert.deepEqual(await f.registry.statManifest('app', ref, []), { mediaType: MediaType.OCI_MANIFEST, digest: m.digest, size: m.bytes.length });
    }
    await rejectsWith(f.registry.getManifest('app', 'v2', []), 'MANIFEST_UNKNOWN');
    await rejectsWith(f.registry.getManifest('app', blob(1).digest, []), 'MANIFEST_UNKNOWN');
    await rejectsWith(f.registry.getManifest('other', m.digest, []), 'MANIFEST_UNKNOWN');
  });

  test('a manifest corrupted on disk is never served: checked on first read after a start, then removed', async () => {
    const m = await pushImage(f.registry, 'app');
    await f.registry.putManifest('app', 'v1', m);
    const file = path.join(f.store, 'blobs', 'sha256', m.digest.slice(7, 9), m.digest.slice(7), 'data');
    const corrupt = Buffer.from(m.bytes);
    corrupt[10] = corrupt[10]! ^ 0xff;
    await fs.writeFile(file, corrupt);
    const restarted = await f.reopen();
    await rejectsWith(restarted.getManifest('app', 'v1', []), 'MANIFEST_UNKNOWN');
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
    await restarted.putManifest('app', 'v1', m);
    assert.deepEqual((await restarted.getManifest('app', 'v1', [])).bytes, m.bytes, 'a new push heals it');
  });

  test('the declared media type is kept when the manifest has none inside', async () => {
    const m = await pushImage(f.registry, 'app');
    const doc = JSON.parse(m.bytes.toString()) as Record<string, unknown>;
    delete doc.mediaType;
    const bytes = Buffer.from(JSON.stringify(doc));
    await f.registry.putManifest('app', 'docker', { bytes, digest: sha256(bytes), mediaType: MediaType.DOCKER_MANIFEST });
    assert.equal((await f.registry.statManifest('app', 'docker', [])).mediaType, MediaType.DOCKER_MANIFEST);
  });

  test('validation: JSON, blobs, size, digests', async () => {
    const m = await pushImage(f.registry, 'app');
    const junk = Buffer.from('{not json');
    await rejectsWith(f.registry.putManifest('app', 'x', { bytes: junk, digest: sha256(junk), mediaType: MediaType.OCI_MANIFEST }), 'MANIFEST_INVALID');

    // The blobs are in the store, but not linked in repository "other".
    await rejectsWith(f.registry.putManifest('other', 'x', m), 'MANIFEST_BLOB_UNKNOWN');

    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    await rejectsWith(f.registry.putManifest('app', 'x', { bytes: big, digest: sha256(big), mediaType: MediaType.OCI_MANIFEST }), 'MANIFEST_TOO_LARGE', 413);

    await rejectsWith(f.registry.putManifest('app', blob(1).digest, m), 'DIGEST_INVALID');
    await rejectsWith(f.registry.putManifest('app', 'x', { ...m, digest: blob(1).digest }), 'DIGEST_INVALID');

    const wrongSize = Buffer.from(m.bytes.toString().replace('"size":500', '"size":501'));
    await rejectsWith(f.registry.putManifest('app', 'x', { bytes: wrongSize, digest: sha256(wrongSize), mediaType: MediaType.OCI_MANIFEST }), 'MANIFEST_INVALID');

    // None of the failures left a tag or a revision behind.
    assert.deepEqual((await f.registry.listTags('app', {})).items, []);
    await rejectsWith(f.registry.listTags('other', {}), 'NAME_UNKNOWN');

    // By digest works when it is the right one.
    assert.equal((await f.registry.putManifest('app', m.digest, m)).digest, m.digest);
  });

  test('an index needs its children in the same repository', async () => {
    const child = await pushImage(f.registry, 'app');
    const index = indexOf([child]);
    await rejectsWith(f.registry.putManifest('app', 'multi', index), 'MANIFEST_BLOB_UNKNOWN');
    await f.registry.putManifest('app', child.digest, child);
    await f.registry.putManifest('app', 'multi', index);
    assert.equal((await f.registry.getManifest('app', 'multi', [])).mediaType, MediaType.OCI_INDEX);
  });

  test('tags are sorted and paginated; the catalog lists repositories with manifests', async () => {
    for (const repo of ['b/two', 'a', 'c']) {
      const m = await pushImage(f.registry, repo);
      for (const tag of ['v3', 'latest', 'v1', 'v10']) await f.registry.putManifest(repo, tag, m);
    }
    const lone = blob(3);
    await f.registry.putBlob('only-blobs', lone.digest, body(lone.bytes));
    assert.deepEqual((await f.registry.listTags('a', {})).items, ['latest', 'v1', 'v10', 'v3']);
    assert.deepEqual(await f.registry.listTags('a', { n: 2 }), { items: ['latest', 'v1'], next: 'v1' });
    assert.deepEqual(await f.registry.listTags('a', { n: 2, last: 'v1' }), { items: ['v10', 'v3'] });
    assert.deepEqual(await f.registry.listRepositories({}), { items: ['a', 'b/two', 'c'] });
    assert.deepEqual(await f.registry.listRepositories({ n: 1, last: 'a' }), { items: ['b/two'], next: 'b/two' });
    await rejectsWith(f.registry.listTags('nope', {}), 'NAME_UNKNOWN');
    assert.deepEqual(await f.registry.listTags('only-blobs', {}), { items: [] });
  });

  test('retagging moves the tag atomically; concurrent tag writes leave one winner', async () => {
    const one = await pushImage(f.registry, 'app');
    const two = await pushImage(f.registry, 'app');
    await Promise.all(Array.from({ length: 20 }, (_, i) => f.registry.putManifest('app', 'race', i % 2 ? one : two)));
    const winner = (await f.registry.getManifest('app', 'race', [])).digest;
    assert.ok(winner === one.digest || winner === two.digest);
    await f.registry.putManifest('app', 'race', one);
    assert.equal((await f.registry.getManifest('app', 'race', [])).digest, one.digest);
  });

  test('delete by tag untags; by digest removes the revision and every tag on it', async () => {
    const m = await pushImage(f.registry, 'app');
    await f.registry.putManifest('app', 'a', m);
    await f.registry.putManifest('app', 'b', m);
    await f.registry.deleteManifest('app', 'a');
    await rejectsWith(f.registry.getManifest('app', 'a', []), 'MANIFEST_UNKNOWN');
    await rejectsWith(f.registry.deleteManifest('app', 'a'), 'MANIFEST_UNKNOWN');
    assert.equal((await f.registry.getManifest('app', 'b', [])).digest, m.digest);

    await f.registry.deleteManifest('app', m.digest);
    await rejectsWith(f.registry.getManifest('app', m.digest, []), 'MANIFEST_UNKNOWN');
    assert.deepEqual((await f.registry.listTags('app', {})).items, []);
    await rejectsWith(f.registry.deleteManifest('app', m.digest), 'MANIFEST_UNKNOWN');
  });

  test('with deletes disabled every delete is UNSUPPORTED and changes nothing', async () => {
    const m = await pushImage(f.registry, 'app');
    await f.registry.putManifest('app', 'v1', m);
    const readOnly = await f.reopen({ delete: false });
    await rejectsWith(readOnly.deleteManifest('app', 'v1'), 'UNSUPPORTED', 405);
    await rejectsWith(readOnly.deleteManifest('app', m.digest), 'UNSUPPORTED');
    await rejectsWith(readOnly.deleteBlob('app', m.layer), 'UNSUPPORTED');
    assert.equal((await readOnly.getManifest('app', 'v1', [])).digest, m.digest);
  });

  test('referrers: listed by subject, filtered by artifactType, removed with the referrer', async () => {
    const subject = await pushImage(f.registry, 'app');
    // Referrers may be pushed before their subject.
    const sig = await pushImage(f.registry, 'app', { subject, artifactType: 'application/vnd.dev.cosign', annotations: { k: 'v' } });
    const sbom = await pushImage(f.registry, 'app', { subject, artifactType: 'application/spdx+json' });
    assert.deepEqual(await f.registry.putManifest('app', sig.digest, sig), { digest: sig.digest, subject: subject.digest });
    await f.registry.putManifest('app', sbom.digest, sbom);
    await f.registry.putManifest('app', 'v1', subject);

    const all = await f.registry.listReferrers('app', subject.digest);
    assert.equal(all.filtered, false);
    assert.deepEqual(
      all.manifests.map((d) => d.digest),
      [sig.digest, sbom.digest].sort(),
    );
    const sigDescriptor = all.manifests.find((d) => d.digest === sig.digest)!;
    assert.deepEqual(sigDescriptor, {
      mediaType: MediaType.OCI_MANIFEST,
      digest: sig.digest,
      size: sig.bytes.length,
      artifactType: 'application/vnd.dev.cosign',
      annotations: { k: 'v' },
    });

    const only = await f.registry.listReferrers('app', subject.digest, 'application/spdx+json');
    assert.equal(only.filtered, true);
    assert.deepEqual(only.manifests.map((d) => d.digest), [sbom.digest]);

    await f.registry.deleteManifest('app', sbom.digest);
    assert.deepEqual((await f.registry.listReferrers('app', subject.digest)).manifests.map((d) => d.digest), [sig.digest]);
    // Another repository's referrers are its own; an unknown subject simply has none.
    assert.deepEqual((await f.registry.listReferrers('other', subject.digest)).manifests, []);
    assert.deepEqual((await f.registry.listReferrers('app', blob(1).digest)).manifests, []);
  });
});
