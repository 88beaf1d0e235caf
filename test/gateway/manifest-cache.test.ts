import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { waitFor } from '../support/temp';
import { imageManifest, jsonOf, randomBlob, sha256, V2Client, type IndexBody, type TagList } from '../support/v2-client';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const cacheOf = (res: Response): string | null => res.headers.get('x-gantry-cache');

/** The cache decorator in front of a real distribution, with upstream requests counted by a relay. */
describe('manifest and listing cache', () => {
  let upstream: Distribution;
  let front: CountingFront;
  let gateway: GatewayProcess;
  let client: V2Client;
  let direct: V2Client;
  before(async () => {
    upstream = await startDistribution();
    front = await startCountingFront(upstream.url);
    gateway = await startGateway({
      backends: { up: { type: 'registry', url: front.url } },
      routes: [
        { prefix: 'nc/', backend: 'up', cache: false },
        { prefix: 'other/', backend: 'up', upstreamPrefix: 'other/' },
        { prefix: 'c/', backend: 'up', upstreamPrefix: 'other/', tagTtl: '2s', listTtl: '1h' },
      ],
    });
    client = new V2Client(gateway.url);
    direct = new V2Client(upstream.url);
  });
  after(async () => {
    await gateway?.stop();
    await front?.stop();
    await upstream?.stop();
  });

  test('a tag is a miss then a hit, byte-exact; by digest and HEAD are hits; the upstream saw one GET', async () => {
    const { manifest } = await direct.pushImage('other/tagged', 'v1');
    front.reset();
    const first = await client.request('GET', '/v2/c/tagged/manifests/v1', { headers: { accept: OCI_MANIFEST } });
    assert.equal(first.status, 200);
    assert.equal(cacheOf(first), 'miss');
    assert.ok(Buffer.from(await first.arrayBuffer()).equals(manifest.bytes));
    for (const path of ['/v2/c/tagged/manifests/v1', `/v2/c/tagged/manifests/${manifest.digest}`]) {
      const res = await client.request('GET', path, { headers: { accept: OCI_MANIFEST } });
      assert.equal(cacheOf(res), 'hit', path);
      assert.equal(res.headers.get('content-type'), OCI_MANIFEST);
      assert.equal(res.headers.get('docker-content-digest'), manifest.digest);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(manifest.bytes), 'exact bytes (indented JSON kept)');
      const head = await client.request('HEAD', path, { headers: { accept: OCI_MANIFEST } });
      assert.equal(cacheOf(head), 'hit');
      assert.equal(Number(head.headers.get('content-length')), manifest.bytes.length);
    }
    assert.equal(front.count('GET', '/v2/other/tagged/manifests/v1'), 1);
    assert.equal(front.manifestRequests(), 1);
  });

  test('two routes to one backend share entries (keyed by backend and upstream name)', async () => {
    const { manifest } = await direct.pushImage('other/shared', 'v1');
    front.reset();
    assert.equal(cacheOf(await client.request('GET', `/v2/c/shared/manifests/${manifest.digest}`)), 'miss');
    assert.equal(cacheOf(await client.request('GET', `/v2/other/shared/manifests/${manifest.digest}`)), 'hit');
    assert.equal(front.manifestRequests(), 1);
  });

  test('a digest known only from a HEAD is fetched by the GET that follows', async () => {
    const { manifest } = await direct.pushImage('other/headfirst', 'v1');
    front.reset();
    assert.equal(cacheOf(await client.request('HEAD', `/v2/c/headfirst/manifests/${manifest.digest}`)), 'miss');
    assert.equal(cacheOf(await client.request('HEAD', `/v2/c/headfirst/manifests/${manifest.digest}`)), 'hit');
    const get = await client.request('GET', `/v2/c/headfirst/manifests/${manifest.digest}`);
    assert.equal(cacheOf(get), 'miss');
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(manifest.bytes));
    assert.equal(cacheOf(await client.request('GET', `/v2/c/headfirst/manifests/${manifest.digest}`)), 'hit');
  });

  test('Accept variants of one tag: an index and a platform manifest are cached apart, each byte-exact', async () => {
    const { manifest } = await direct.pushImage('other/multi', 'platform');
    const index = { bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }] })), digest: '' };
    index.digest = sha256(index.bytes);
    assert.equal((await direct.pushManifest('other/multi', 'v1', index, OCI_INDEX)).status, 201);
    for (const accept of [`${OCI_INDEX}, ${OCI_MANIFEST}`, `${OCI_MANIFEST},${OCI_INDEX}`]) {
      const res = await client.request('GET', '/v2/c/multi/manifests/v1', { headers: { accept } });
      assert.equal(res.headers.get('content-type'), OCI_INDEX);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(index.bytes));
    }
    front.reset();
    const again = await client.request('GET', '/v2/c/multi/manifests/v1', { headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX};q=0.9` } });
    assert.equal(cacheOf(again), 'hit', 'the same set of types, in another order and with parameters');
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(index.bytes));
    assert.equal(front.manifestRequests(), 0);
  });

  test('past the tag TTL, 50 concurrent pulls are hits and exactly one refresh reaches the upstream', async () => {
    const { manifest } = await direct.pushImage('other/swr', 'v1');
    assert.equal(cacheOf(await client.request('GET', '/v2/c/swr/manifests/v1')), 'miss');
    await new Promise((resolve) => setTimeout(resolve, 2100)); // tagTtl is 2s: the entry is now due for revalidation
    front.reset();
    const answers = await Promise.all(Array.from({ length: 50 }, () => client.request('GET', '/v2/c/swr/manifests/v1')));
    for (const res of answers) {
      assert.equal(res.status, 200);
      assert.equal(cacheOf(res), 'hit');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(manifest.bytes));
    }
    await waitFor('the background refresh', async () => front.count('GET', '/v2/other/swr/manifests/v1') >= 1);
    // Every refresh would have been started by one of the 50 answered requests; let any second one arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(front.count('GET', '/v2/other/swr/manifests/v1'), 1);
    assert.equal(front.manifestRequests(), 1);
  });

  test('tag lists, referrers and the catalog are cached; a push through Gantry invalidates them at once', async () => {
    const { manifest, config } = await client.pushImage('c/lists', 'v1');
    front.reset();
    const tags1 = await client.request('GET', '/v2/c/lists/tags/list');
    assert.equal(cacheOf(tags1), 'miss');
    assert.deepEqual((await jsonOf<TagList>(tags1)).tags, ['v1']);
    assert.equal(cacheOf(await client.request('GET', '/v2/c/lists/tags/list')), 'hit');
    const refs1 = await client.request('GET', `/v2/c/lists/referrers/${manifest.digest}`);
    assert.equal(cacheOf(refs1), 'miss');
    assert.equal((await jsonOf<IndexBody>(refs1)).manifests.length, 0);
    assert.equal(cacheOf(await client.request('GET', `/v2/c/lists/referrers/${manifest.digest}`)), 'hit');
    assert.equal(cacheOf(await client.request('GET', '/v2/_catalog')), 'miss');
    assert.equal(cacheOf(await client.request('GET', '/v2/_catalog')), 'hit');
    assert.equal(front.count('GET', '/v2/other/lists/tags/list'), 1);

    // A second tag, and a referrer of the first manifest, pushed through Gantry.
    assert.equal((await client.pushManifest('c/lists', 'v2', manifest)).status, 201);
    const signature = randomBlob(64);
    await client.pushBlob('c/lists', signature);
    const referrer = imageManifest(config, [signature], {
      artifactType: 'application/vnd.example.signature.v1',
      subject: { mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.bytes.length },
    });
    assert.equal((await client.pushManifest('c/lists', referrer.digest, referrer)).status, 201);
    await client.pushImage('c/lists-new', 'v1');

    const tags2 = await client.request('GET', '/v2/c/lists/tags/list');
    assert.equal(cacheOf(tags2), 'miss');
    // distribution 2.8 has no referrers API: the referrer's fallback tag (sha256-…) is listed too.
    assert.deepEqual((await jsonOf<TagList>(tags2)).tags.filter((t) => !t.startsWith('sha256-')), ['v1', 'v2']);
    const refs2 = await client.request('GET', `/v2/c/lists/referrers/${manifest.digest}`);
    assert.equal(cacheOf(refs2), 'miss');
    assert.deepEqual((await jsonOf<IndexBody>(refs2)).manifests.map((m) => m.digest), [referrer.digest]);
    const catalog = await client.request('GET', '/v2/_catalog');
    assert.equal(cacheOf(catalog), 'miss');
    assert.ok((await jsonOf<{ repositories: string[] }>(catalog)).repositories.includes('c/lists-new'));
  });

  test('a push replaces a cached tag at once; a delete through Gantry makes it unknown', async () => {
    const first = await client.pushImage('c/moving', 'v1');
    assert.equal(cacheOf(await client.request('GET', '/v2/c/moving/manifests/v1')), 'miss');
    assert.equal(cacheOf(await client.request('GET', '/v2/c/moving/manifests/v1')), 'hit');
    const second = await client.pushImage('c/moving', 'v1');
    assert.notEqual(second.manifest.digest, first.manifest.digest);
    const moved = await client.request('GET', '/v2/c/moving/manifests/v1');
    assert.equal(moved.headers.get('docker-content-digest'), second.manifest.digest);
    assert.equal(cacheOf(await client.request('GET', '/v2/c/moving/manifests/v1')), 'hit');
    assert.equal((await client.request('DELETE', `/v2/c/moving/manifests/${second.manifest.digest}`)).status, 202);
    assert.equal((await client.request('GET', '/v2/c/moving/manifests/v1')).status, 404);
    assert.equal((await client.request('GET', `/v2/c/moving/manifests/${second.manifest.digest}`)).status, 404);
  });

  test('a route with cache: false goes upstream every time and says bypass; blobs say bypass', async () => {
    const { manifest, layer } = await direct.pushImage('nocache', 'v1');
    front.reset();
    for (let i = 0; i < 3; i++) assert.equal(cacheOf(await client.request('GET', '/v2/nc/nocache/manifests/v1')), 'bypass');
    assert.equal(front.count('GET', '/v2/nocache/manifests/v1'), 3);
    assert.equal(cacheOf(await client.request('GET', `/v2/nc/nocache/blobs/${layer.digest}`)), 'bypass');
    assert.equal(cacheOf(await client.request('GET', `/v2/other/nocache/blobs/${layer.digest}`)), 'bypass');
    assert.equal(cacheOf(await client.request('GET', '/v2/')), 'bypass');
    assert.ok(manifest);
  });

  test('GET /admin/v1/cache reports the store and per-route counts; DELETE purges one repository', async () => {
    const { manifest } = await direct.pushImage('other/purged', 'v1');
    await client.request('GET', '/v2/c/purged/manifests/v1');
    assert.equal(cacheOf(await client.request('GET', `/v2/c/purged/manifests/${manifest.digest}`)), 'hit');
    const status = await jsonOf<{ store: string; entries: number; bytes: number; routes: { prefix: string; cache: boolean; hit: number; miss: number; stale: number; hitRatio: number }[] }>(
      await client.request('GET', '/admin/v1/cache'),
    );
    assert.equal(status.store, 'memory');
    assert.ok(status.entries > 0 && status.bytes > 0);
    const route = status.routes.find((r) => r.prefix === 'c/')!;
    assert.ok(route.hit > 0 && route.miss > 0);
    assert.ok(route.hitRatio > 0 && route.hitRatio < 1);
    assert.equal(status.routes.find((r) => r.prefix === 'nc/')!.cache, false);

    const missing = await client.request('DELETE', '/admin/v1/cache');
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /NAME_INVALID/);
    const purge = await client.request('DELETE', '/admin/v1/cache?repository=c/purged');
    assert.equal(purge.status, 200);
    assert.ok((await jsonOf<{ removed: number }>(purge)).removed >= 2);
    assert.equal(cacheOf(await client.request('GET', `/v2/c/purged/manifests/${manifest.digest}`)), 'miss');
  });
});
