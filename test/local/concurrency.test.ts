import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { imageManifest, randomBlob, sha256, V2Client, type Blob } from '../support/v2-client';
import { filesUnder, invalidBlobFiles } from './store-files';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** Races on one store through the gateway: the store ends consistent and readers never see half a write. */
describe('local backend under concurrent pushes', () => {
  const dir = tempDir('concurrency');
  const store = join(dir.path, 'store');
  let gateway: GatewayProcess;
  let client: V2Client;

  before(async () => {
    gateway = await startGateway({ backends: { store: { type: 'local', path: store } }, routes: [{ prefix: '', backend: 'store' }] });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  test('the same blob pushed at once, chunked and monolithic, is stored once and byte-exact', async () => {
    const blob = randomBlob(8 * 1024 * 1024 + 3);
    const repos = ['race/a', 'race/b', 'race/c', 'race/d'];
    await Promise.all([
      client.pushBlob(repos[0]!, blob),
      pushChunked(client, repos[1]!, blob, 3),
      client.pushBlob(repos[2]!, blob),
      pushChunked(client, repos[3]!, blob, 5),
    ]);
    const hex = blob.digest.slice('sha256:'.length);
    assert.deepEqual(filesUnder(join(store, 'blobs')).filter((f) => f.includes(hex)).length, 1, 'one content file');
    assert.deepEqual(invalidBlobFiles(store), []);
    assert.deepEqual(filesUnder(join(store, 'tmp')), [], 'no temp file left behind');
    assert.deepEqual(filesUnder(join(store, 'uploads')), [], 'no upload session left behind');
    for (const repo of repos) {
      const res = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
      assert.equal(res.status, 200, repo);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(blob.bytes), `${repo} serves the exact bytes`);
    }
  });

  test('one tag pushed with two manifests at once resolves to one of them; readers never see a partial one', async () => {
    const repo = 'race/tagged';
    const config = randomBlob(512);
    const [layerA, layerB] = [randomBlob(2048), randomBlob(2048)];
    for (const blob of [config, layerA, layerB]) await client.pushBlob(repo, blob);
    const candidates = [imageManifest(config, [layerA]), imageManifest(config, [layerB], { annotations: { side: 'b'.repeat(5000) } })];
    const known = new Map(candidates.map((m) => [m.digest, m.bytes]));
    assert.equal((await client.pushManifest(repo, 'latest', candidates[0]!)).status, 201);

    let pushing = true;
    let reads = 0;
    const reader = (async () => {
      while (pushing) {
        const res = await client.request('GET', `/v2/${repo}/manifests/latest`, { headers: { accept: MANIFEST_TYPE } });
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.equal(res.status, 200, bytes.toString());
        const digest = sha256(bytes);
        assert.equal(res.headers.get('docker-content-digest'), digest, 'the digest header matches the body');
        assert.ok(known.get(digest)?.equals(bytes), `served bytes are one of the pushed manifests (${bytes.length} bytes)`);
        reads++;
      }
    })();

    try {
      for (let round = 0; round < 25; round++) {
        const results = await Promise.all([
          client.pushManifest(repo, 'latest', candidates[round % 2]!),
          client.pushManifest(repo, 'latest', candidates[(round + 1) % 2]!),
        ]);
        for (const res of results) assert.equal(res.status, 201, await res.text());
      }
    } finally {
      pushing = false;
      await reader;
    }
    assert.ok(reads > 0, 'the reader ran during the pushes');

    const final = await client.request('GET', `/v2/${repo}/manifests/latest`, { headers: { accept: MANIFEST_TYPE } });
    const bytes = Buffer.from(await final.arrayBuffer());
    assert.ok(known.get(sha256(bytes))?.equals(bytes), 'the tag resolves to one of the two manifests');
    const tags = (await (await client.request('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['latest']);
    for (const manifest of candidates) {
      const byDigest = await client.request('GET', `/v2/${repo}/manifests/${manifest.digest}`, { headers: { accept: MANIFEST_TYPE } });
      assert.ok(Buffer.from(await byDigest.arrayBuffer()).equals(manifest.bytes), 'both revisions stay readable by digest');
    }
    assert.deepEqual(invalidBlobFiles(store), []);
  });
});

/** POST, `chunks` PATCHes with Content-Range, then PUT ?digest. */
async function pushChunked(client: V2Client, repo: string, blob: Blob, chunks: number): Promise<void> {
  const started = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
  assert.equal(started.status, 202, await started.text());
  let location = started.headers.get('location')!;
  const size = Math.ceil(blob.bytes.length / chunks);
  for (let start = 0; start < blob.bytes.length; start += size) {
    const body = blob.bytes.subarray(start, start + size);
    const res = await client.request('PATCH', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + body.length - 1}` },
      body,
    });
    assert.equal(res.status, 202, await res.text());
    location = res.headers.get('location') ?? location;
  }
  const done = await client.request('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${blob.digest}`);
  assert.equal(done.status, 201, await done.text());
}
