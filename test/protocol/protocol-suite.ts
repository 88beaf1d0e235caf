import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { holdPatchOpen } from '../support/held-patch';
import { assertOciError, imageManifest, type IndexBody, jsonOf, randomBlob, sha256, type TagList, V2Client } from '../support/v2-client';

export interface ProtocolTarget {
  /** Gateway base URL. */
  url: string;
  /** Routed prefix the suite's repositories live under, e.g. `corp/`. */
  prefix: string;
  /** Authorization header value for the gateway, if it wants one. */
  auth?: string;
  stop(): Promise<void>;
}

/**
 * The distribution-spec suite every backend runs through the gateway: the same requests, the
 * same expected statuses, headers and bytes whatever sits behind the route.
 */
export function protocolSuite(label: string, start: () => Promise<ProtocolTarget>): void {
  describe(`OCI distribution-spec through the gateway: ${label}`, () => {
    let target: ProtocolTarget;
    let client: V2Client;
    let repo: string;
    before(async () => {
      target = await start();
      client = new V2Client(target.url, target.auth);
      repo = `${target.prefix}suite/app`;
    });
    after(async () => target?.stop());

    test('GET /v2/ answers 200 with the API version header', async () => {
      const res = await client.request('GET', '/v2/');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    test('monolithic blob upload, HEAD, GET and ranges', async () => {
      const blob = randomBlob(10_000);
      const res = await client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes });
      assert.equal(res.status, 201, await res.text());
      assert.equal(res.headers.get('location'), `/v2/${repo}/blobs/${blob.digest}`);
      assert.equal(res.headers.get('docker-content-digest'), blob.digest);

      const head = await client.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '10000');
      assert.equal(head.headers.get('docker-content-digest'), blob.digest);

      const get = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
      assert.equal(get.status, 200);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob.bytes);

      const part = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`, { headers: { range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 100-199/10000');
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), blob.bytes.subarray(100, 200));

      const suffix = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`, { headers: { range: 'bytes=-10' } });
      assert.equal(suffix.status, 206);
      assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), blob.bytes.subarray(9990));

      const beyond = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`, { headers: { range: 'bytes=20000-20010' } });
      assert.equal(beyond.status, 416);
      await beyond.arrayBuffer();
    });

    test('chunked upload: session URLs are the gateway own, status, out-of-order 416, finish', async () => {
      const blob = randomBlob(30_000);
      const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
      assert.equal(start.status, 202, await start.text());
      const location = start.headers.get('location')!;
      assert.match(location, new RegExp(`^/v2/${repo}/blobs/uploads/[0-9a-f-]{36}$`));
      assert.ok(start.headers.get('docker-upload-uuid'));

      const first = await client.request('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9999' },
        body: blob.bytes.subarray(0, 10_000),
      });
      assert.equal(first.status, 202, await first.text());
      assert.equal(first.headers.get('range'), '0-9999');

      const status = await client.request('GET', location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-9999');
      assert.equal(status.headers.get('location'), location);

      const outOfOrder = await client.request('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '20000-29999' },
        body: blob.bytes.subarray(20_000),
      });
      await assertOciError(outOfOrder, 416, 'RANGE_INVALID');

      const second = await client.request('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '10000-19999' },
        body: blob.bytes.subarray(10_000, 20_000),
      });
      assert.equal(second.status, 202, await second.text());
      const done = await client.request('PUT', `${location}?digest=${blob.digest}`, {
        headers: { 'content-type': 'application/octet-stream' },
        body: blob.bytes.subarray(20_000),
      });
      assert.equal(done.status, 201, await done.text());
      assert.equal(done.headers.get('docker-content-digest'), blob.digest);
      const get = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob.bytes);
      await assertOciError(await client.request('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    test('a digest mismatch on upload is refused and leaves nothing behind', async () => {
      const blob = randomBlob(5000);
      const wrong = sha256(Buffer.from('something else'));
      await assertOciError(await client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${wrong}`, { body: blob.bytes }), 400, 'DIGEST_INVALID');
      await assertOciError(await client.request('HEAD', `/v2/${repo}/blobs/${wrong}`), 404, 'BLOB_UNKNOWN');

      const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
      const location = start.headers.get('location')!;
      const put = await client.request('PUT', `${location}?digest=${wrong}`, { body: blob.bytes });
      await assertOciError(put, 400, 'DIGEST_INVALID');
      await assertOciError(await client.request('HEAD', `/v2/${repo}/blobs/${wrong}`), 404, 'BLOB_UNKNOWN');
      await assertOciError(await client.request('HEAD', `/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    });

    test('a second writer on a session that is being written gets 416, the first completes', async () => {
      const blob = randomBlob(20_000);
      const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
      const location = start.headers.get('location')!;
      // The first PATCH streams half its body and holds the request open (and the session).
      const first = await holdPatchOpen(new URL(location, target.url), blob.bytes.subarray(0, 5000), 10_000, client,
        target.auth ? { authorization: target.auth } : {});
      const second = await client.request('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9999' },
        body: blob.bytes.subarray(0, 10_000),
      });
      await assertOciError(second, 416, 'RANGE_INVALID');
      assert.equal(await first.finish(blob.bytes.subarray(5000, 10_000)), 202);
      const status = await client.request('GET', location);
      assert.equal(status.headers.get('range'), '0-9999');
      const done = await client.request('PUT', `${location}?digest=${blob.digest}`, { body: blob.bytes.subarray(10_000) });
      assert.equal(done.status, 201, await done.text());
    });

    test('cancelling an upload forgets the session', async () => {
      const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
      const location = start.headers.get('location')!;
      assert.equal((await client.request('DELETE', location)).status, 204);
      await assertOciError(await client.request('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertOciError(await client.request('GET', `/v2/${repo}/blobs/uploads/not-a-uuid`), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertOciError(
        await client.request('PATCH', `/v2/${repo}/blobs/uploads/00000000-0000-4000-8000-000000000000`, { body: 'x' }),
        404,
        'BLOB_UPLOAD_UNKNOWN',
      );
    });

    test('cross-repository mount inside one backend, 202 when the blob is not there', async () => {
      const blob = randomBlob(2048);
      await client.pushBlob(repo, blob);
      const mounted = await client.request('POST', `/v2/${target.prefix}suite/other/blobs/uploads/?mount=${blob.digest}&from=${repo}`);
      assert.equal(mounted.status, 201, await mounted.text());
      assert.equal(mounted.headers.get('location'), `/v2/${target.prefix}suite/other/blobs/${blob.digest}`);
      assert.equal((await client.request('HEAD', `/v2/${target.prefix}suite/other/blobs/${blob.digest}`)).status, 200);

      const missing = randomBlob(10);
      const fallback = await client.request('POST', `/v2/${target.prefix}suite/other/blobs/uploads/?mount=${missing.digest}&from=${repo}`);
      assert.equal(fallback.status, 202);
      assert.match(fallback.headers.get('location')!, /\/blobs\/uploads\/[0-9a-f-]{36}$/);
    });

    test('manifests by tag and digest are byte-exact with Docker-Content-Digest', async () => {
      const { manifest } = await client.pushImage(repo, 'v1');
      for (const ref of ['v1', manifest.digest]) {
        const res = await client.request('GET', `/v2/${repo}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('docker-content-digest'), manifest.digest);
        assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), manifest.bytes);
        const head = await client.request('HEAD', `/v2/${repo}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-length'), String(manifest.bytes.length));
        assert.equal(head.headers.get('docker-content-digest'), manifest.digest);
      }
    });

    test('an image index with two platforms', async () => {
      const a = await client.pushImage(repo, 'amd64');
      const b = await client.pushImage(repo, 'arm64');
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.manifest.digest, size: a.manifest.bytes.length, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.manifest.digest, size: b.manifest.bytes.length, platform: { os: 'linux', architecture: 'arm64' } },
        ],
      }));
      const put = await client.pushManifest(repo, 'multi', { bytes: index, digest: sha256(index) }, 'application/vnd.oci.image.index.v1+json');
      assert.equal(put.status, 201, await put.text());
      assert.equal(put.headers.get('docker-content-digest'), sha256(index));
      const get = await client.request('GET', `/v2/${repo}/manifests/multi`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
      assert.equal(get.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), index);
    });

    test('Docker schema 2 manifest and manifest list keep their media types and bytes', async () => {
      const name = `${target.prefix}suite/docker`;
      const { config, layer } = await client.pushImage(name, 'oci');
      const docker = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config.digest, size: config.bytes.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer.digest, size: layer.bytes.length }],
      }, null, 3));
      const dockerType = 'application/vnd.docker.distribution.manifest.v2+json';
      assert.equal((await client.pushManifest(name, 'd1', { bytes: docker, digest: sha256(docker) }, dockerType)).status, 201);
      const list = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [{ mediaType: dockerType, digest: sha256(docker), size: docker.length, platform: { architecture: 'amd64', os: 'linux' } }],
      }));
      const listType = 'application/vnd.docker.distribution.manifest.list.v2+json';
      assert.equal((await client.pushManifest(name, 'list', { bytes: list, digest: sha256(list) }, listType)).status, 201);
      for (const [ref, bytes, type] of [['d1', docker, dockerType], ['list', list, listType]] as const) {
        const res = await client.request('GET', `/v2/${name}/manifests/${ref}`, { headers: { accept: `${dockerType}, ${listType}` } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), type);
        assert.equal(res.headers.get('docker-content-digest'), sha256(bytes));
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      }
    });

    test('bad manifests change nothing: digest mismatch, invalid JSON, unknown blobs, over 4 MiB', async () => {
      const { config, layer } = await client.pushImage(repo, 'base');
      const manifest = imageManifest(config, [layer], { annotations: { x: 'y' } });
      await assertOciError(await client.pushManifest(repo, sha256(Buffer.from('nope')), manifest), 400, 'DIGEST_INVALID');
      await assertOciError(await client.pushManifest(repo, 'broken', { bytes: Buffer.from('{not json'), digest: '' }), 400, 'MANIFEST_INVALID');
      const dangling = imageManifest(config, [randomBlob(10)]);
      await assertOciError(await client.pushManifest(repo, 'dangling', dangling), 400, 'MANIFEST_BLOB_UNKNOWN');
      const huge = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
      await assertOciError(await client.pushManifest(repo, 'huge', { bytes: huge, digest: '' }), 413, 'MANIFEST_TOO_LARGE');
      for (const tag of ['broken', 'dangling', 'huge']) {
        await assertOciError(await client.request('GET', `/v2/${repo}/manifests/${tag}`), 404, 'MANIFEST_UNKNOWN');
      }
    });

    test('tags/list paginates with n, last and Link', async () => {
      const name = `${target.prefix}suite/tagged`;
      const { manifest } = await client.pushImage(name, 't0');
      for (const tag of ['t1', 't2', 't3', 't4']) assert.equal((await client.pushManifest(name, tag, manifest)).status, 201);
      const all = await jsonOf<TagList>(await client.request('GET', `/v2/${name}/tags/list`));
      assert.deepEqual(all, { name, tags: ['t0', 't1', 't2', 't3', 't4'] });
      const page1 = await client.request('GET', `/v2/${name}/tags/list?n=2`);
      assert.deepEqual((await jsonOf<TagList>(page1)).tags, ['t0', 't1']);
      assert.equal(page1.headers.get('link'), `</v2/${name}/tags/list?n=2&last=t1>; rel="next"`);
      const page2 = await client.request('GET', `/v2/${name}/tags/list?n=2&last=t1`);
      assert.deepEqual((await jsonOf<TagList>(page2)).tags, ['t2', 't3']);
      const page3 = await client.request('GET', `/v2/${name}/tags/list?n=2&last=t3`);
      assert.deepEqual((await jsonOf<TagList>(page3)).tags, ['t4']);
      assert.equal(page3.headers.get('link'), null);
    });

    test('referrers: OCI-Subject on push, listing and artifactType filtering', async () => {
      const name = `${target.prefix}suite/signed`;
      const { manifest: subject } = await client.pushImage(name, 'v1');
      const empty = { bytes: Buffer.from('{}'), digest: sha256(Buffer.from('{}')) };
      const signature = randomBlob(100);
      await client.pushBlob(name, empty);
      await client.pushBlob(name, signature);
      const referrer = (artifactType: string): { bytes: Buffer; digest: string } => {
        const bytes = Buffer.from(JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: 2 },
          layers: [{ mediaType: 'application/octet-stream', digest: signature.digest, size: 100 }],
          subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.bytes.length },
          annotations: { purpose: artifactType },
        }));
        return { bytes, digest: sha256(bytes) };
      };
      const sig = referrer('application/vnd.example.sig');
      const sbom = referrer('application/vnd.example.sbom');
      for (const r of [sig, sbom]) {
        const put = await client.pushManifest(name, r.digest, r);
        assert.equal(put.status, 201, await put.text());
        assert.equal(put.headers.get('oci-subject'), subject.digest);
      }
      const list = await client.request('GET', `/v2/${name}/referrers/${subject.digest}`);
      assert.equal(list.status, 200);
      assert.equal(list.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
      const index = await jsonOf<IndexBody>(list);
      assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
      const entry = index.manifests.find((m) => m.digest === sig.digest);
      assert.equal(entry?.artifactType, 'application/vnd.example.sig');
      assert.equal(entry?.size, sig.bytes.length);

      const filtered = await client.request('GET', `/v2/${name}/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
      assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual((await jsonOf<IndexBody>(filtered)).manifests.map((m) => m.digest), [sbom.digest]);

      const none = await client.request('GET', `/v2/${name}/referrers/${sha256(Buffer.from('no such subject'))}`);
      assert.equal(none.status, 200);
      assert.deepEqual((await jsonOf<IndexBody>(none)).manifests, []);
    });

    test('deletes: manifest by digest, then blob', async () => {
      const name = `${target.prefix}suite/deleted`;
      const { manifest, layer } = await client.pushImage(name, 'gone');
      assert.equal((await client.request('DELETE', `/v2/${name}/manifests/${manifest.digest}`)).status, 202);
      await assertOciError(await client.request('GET', `/v2/${name}/manifests/${manifest.digest}`), 404, 'MANIFEST_UNKNOWN');
      await assertOciError(await client.request('GET', `/v2/${name}/manifests/gone`), 404, 'MANIFEST_UNKNOWN');
      assert.equal((await client.request('DELETE', `/v2/${name}/blobs/${layer.digest}`)).status, 202);
      await assertOciError(await client.request('HEAD', `/v2/${name}/blobs/${layer.digest}`), 404, 'BLOB_UNKNOWN');
    });

    test('malformed names, references and digests get OCI errors', async () => {
      const digest = sha256(Buffer.from('x'));
      const badNames = [
        `/v2/${target.prefix}Upper/manifests/v1`,
        `/v2/${target.prefix}a/../b/manifests/v1`,
        `/v2/../../etc/manifests/v1`,
        `/v2/${target.prefix}a/%2e%2e/b/manifests/v1`,
        `/v2/${target.prefix}a//b/manifests/v1`,
        `/v2/${target.prefix}/abs/manifests/v1`,
        `/v2/${target.prefix}${'a'.repeat(256)}/manifests/v1`,
        `/v2/${target.prefix}./x/blobs/uploads/`,
      ];
      for (const path of badNames) {
        const raw = await client.rawStatus('GET', path);
        assert.equal(raw.status, 400, `${path}: ${raw.body}`);
        assert.match(raw.body, /NAME_INVALID/);
      }
      await assertOciError(await client.request('GET', `/v2/${repo}/blobs/sha256:1234`), 400, 'DIGEST_INVALID');
      // A reference that cannot exist names no manifest (the conformance suite expects 404).
      await assertOciError(await client.request('GET', `/v2/${repo}/manifests/sha256:zz`), 404, 'MANIFEST_UNKNOWN');
      await assertOciError(await client.request('GET', `/v2/${repo}/manifests/-bad-tag`), 404, 'MANIFEST_UNKNOWN');
      await assertOciError(await client.request('GET', `/v2/${repo}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
      await assertOciError(await client.request('GET', `/v2/${repo}/manifests/nosuchtag`), 404, 'MANIFEST_UNKNOWN');
      await assertOciError(await client.request('GET', `/v2/${repo}/manifests/${digest}`), 404, 'MANIFEST_UNKNOWN');
    });

    test('the catalog lists routed repositories with their prefix', async () => {
      const res = await client.request('GET', '/v2/_catalog');
      assert.equal(res.status, 200);
      const { repositories } = await jsonOf<{ repositories: string[] }>(res);
      assert.ok(repositories.includes(repo), JSON.stringify(repositories));
      const page = await client.request('GET', '/v2/_catalog?n=1');
      assert.equal((await jsonOf<{ repositories: string[] }>(page)).repositories.length, 1);
      assert.match(page.headers.get('link') ?? '', /rel="next"/);
    });
  });
}
