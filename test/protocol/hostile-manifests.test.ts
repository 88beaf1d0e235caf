import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startInterceptingFront, type InterceptingFront } from '../support/intercepting-front';
import { tempDir, waitFor } from '../support/temp';
import { assertOciError, type Blob, type IndexBody, jsonOf, randomBlob, sha256, V2Client } from '../support/v2-client';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';

/** A schema 1 manifest that an upstream already holds (distribution 2.8 would not take it today). */
const LEGACY = Buffer.from(JSON.stringify({
  schemaVersion: 1, name: 'legacy/app', tag: 'old', architecture: 'amd64',
  fsLayers: [{ blobSum: sha256(Buffer.from('layer')) }], history: [{ v1Compatibility: '{"id":"1"}' }], signatures: [],
}, null, 3));

/** Bytes as written: hostile documents are built as text, JSON.stringify could not even produce them. */
const doc = (text: string): Blob => {
  const bytes = Buffer.from(text);
  return { bytes, digest: sha256(bytes) };
};
const nestedArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const nestedObject = (depth: number): string => '{"a":'.repeat(depth) + '"x"' + '}'.repeat(depth);
const descriptor = (mediaType: string, b: Blob): string => `{"mediaType":"${mediaType}","digest":"${b.digest}","size":${b.bytes.length}}`;

/**
 * Manifests and references a registry refuses are refused by every backend, before anything goes
 * upstream; hostile content an upstream already holds never breaks the gateway.
 */
describe('hostile manifests and references, on a registry route and on the local store', () => {
  let upstream: Distribution;
  let front: InterceptingFront;
  let gateway: GatewayProcess;
  let client: V2Client;
  const data = tempDir('hostile-local');
  const targets = [
    { label: 'registry', prefix: 'corp/' },
    { label: 'local', prefix: '' },
  ];

  before(async () => {
    upstream = await startDistribution();
    front = await startInterceptingFront(upstream.url, (method, path) => {
      if (path === '/v2/legacy/app/manifests/old' && (method === 'GET' || method === 'HEAD')) {
        return { status: 200, headers: { 'content-type': SCHEMA1_SIGNED, 'docker-content-digest': sha256(LEGACY) }, body: LEGACY };
      }
      // An upstream that stores manifests but fails to write referrers indexes under the tag schema.
      if (method === 'PUT' && /^\/v2\/flaky\/app\/manifests\/sha256-[0-9a-f]{64}$/.test(path)) {
        return { status: 500, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"errors":[{"code":"UNKNOWN","message":"disk full"}]}') };
      }
      return undefined;
    });
    gateway = await startGateway({
      backends: { corp: { type: 'registry', url: front.url }, store: { type: 'local', path: data.path } },
      routes: [{ prefix: 'corp/', backend: 'corp' }, { prefix: '', backend: 'store' }],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await front?.stop();
    await upstream?.stop();
    data.remove();
  });

  /** The manifest under `reference` in the upstream itself (registry route), bypassing the gateway. */
  const upstreamStatus = async (name: string, reference: string): Promise<number> =>
    (await fetch(`${upstream.url}/v2/${name}/manifests/${reference}`, { headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } })).status;

  test('a reference that cannot exist is 404 MANIFEST_UNKNOWN on GET, HEAD and DELETE; PUT stays 400', async () => {
    for (const { prefix } of targets) {
      const repo = `${prefix}refs/app`;
      const { manifest } = await client.pushImage(repo, 'v1');
      const unknowable = [
        '.INVALID_MANIFEST_NAME', 'sha256:totallywrong', `md5:${'0'.repeat(32)}`, `sha256:${'A'.repeat(64)}`,
        `sha256:${'a'.repeat(65)}`, `sha384:${'a'.repeat(96)}`, 't'.repeat(129),
      ];
      for (const reference of unknowable) {
        for (const method of ['GET', 'HEAD', 'DELETE']) {
          const res = await client.request(method, `/v2/${repo}/manifests/${reference}`);
          assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
          await assertOciError(res, 404, 'MANIFEST_UNKNOWN');
        }
      }
      await assertOciError(await client.pushManifest(repo, '.INVALID_MANIFEST_NAME', manifest), 400, 'TAG_INVALID');
      await assertOciError(await client.pushManifest(repo, 't'.repeat(129), manifest), 400, 'TAG_INVALID');
      await assertOciError(await client.pushManifest(repo, 'sha256:totallywrong', manifest), 400, 'DIGEST_INVALID');
      await assertOciError(await client.pushManifest(repo, `md5:${'0'.repeat(32)}`, manifest), 400, 'DIGEST_INVALID');
      assert.equal((await client.request('GET', `/v2/${repo}/manifests/v1`)).status, 200, 'the repository is untouched');
    }
  });

  test('Docker schema 1 is refused on every backend with a message that says so', async () => {
    const signed = `{"schemaVersion":1,"name":"x/app","tag":"v1","architecture":"amd64","fsLayers":[{"blobSum":"${randomBlob(8).digest}"}],` +
      '"history":[{"v1Compatibility":"{}"}],"signatures":[]}';
    for (const { prefix } of targets) {
      const repo = `${prefix}schema1/app`;
      const cases: [string, string, string | undefined][] = [
        ['foo', '{"foo":1}', SCHEMA1],
        ['signed', signed, SCHEMA1_SIGNED],
        ['untyped', signed, undefined],
      ];
      for (const [tag, text, type] of cases) {
        const res = await client.request('PUT', `/v2/${repo}/manifests/${tag}`, { headers: type ? { 'content-type': type } : {}, body: Buffer.from(text) });
        const body = await res.clone().text();
        await assertOciError(res, 400, 'MANIFEST_INVALID');
        assert.match(body, /schema 1/i, `${prefix}${tag}`);
        await assertOciError(await client.request('GET', `/v2/${repo}/manifests/${tag}`), 404, 'MANIFEST_UNKNOWN');
      }
    }
  });

  test('a schema 1 manifest an upstream already holds is still served byte for byte', async () => {
    const res = await client.request('GET', '/v2/corp/legacy/app/manifests/old', { headers: { accept: SCHEMA1_SIGNED } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), SCHEMA1_SIGNED);
    assert.equal(res.headers.get('docker-content-digest'), sha256(LEGACY));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), LEGACY);
  });

  test('annotations must be string to string maps in manifests, descriptors and indexes', async () => {
    for (const { prefix } of targets) {
      const repo = `${prefix}annotated/app`;
      const { config, layer, manifest } = await client.pushImage(repo, 'base');
      const image = (annotations: string, layerAnnotations = ''): Blob => doc(
        `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${descriptor('application/vnd.oci.image.config.v1+json', config)},` +
        `"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${layer.digest}","size":${layer.bytes.length}${layerAnnotations}}]` +
        `${annotations}}`);
      const bad: [string, Blob, string][] = [
        ['number', image(',"annotations":{"a":1}'), OCI_MANIFEST],
        ['deep', image(`,"annotations":${nestedObject(100_000)}`), OCI_MANIFEST],
        ['array', image(',"annotations":["a"]'), OCI_MANIFEST],
        ['layer', image('', ',"annotations":{"k":["v"]}'), OCI_MANIFEST],
        ['index', doc(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${descriptor(OCI_MANIFEST, manifest)}],"annotations":{"a":{"b":"c"}}}`), OCI_INDEX],
      ];
      for (const [tag, body, type] of bad) {
        await assertOciError(await client.pushManifest(repo, tag, body, type), 400, 'MANIFEST_INVALID');
        await assertOciError(await client.request('GET', `/v2/${repo}/manifests/${tag}`), 404, 'MANIFEST_UNKNOWN');
      }
      assert.equal((await client.pushManifest(repo, 'fine', image(',"annotations":{"a":"1"}'))).status, 201);
    }
  });

  test('digests Gantry cannot verify are a 400 before anything is stored, on every backend', async () => {
    for (const { prefix } of targets) {
      const name = 'digests/app';
      const repo = `${prefix}${name}`;
      const { config, layer, manifest } = await client.pushImage(repo, 'base');
      const configJson = descriptor('application/vnd.oci.image.config.v1+json', config);
      const layerJson = descriptor('application/vnd.oci.image.layer.v1.tar+gzip', layer);
      const image = (cfg: string, layers: string, extra = ''): Blob =>
        doc(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${cfg},"layers":[${layers}]${extra}}`);
      const bad: [string, Blob, string][] = [
        ['md5-layer', image(configJson, `{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"md5:${'0'.repeat(32)}","size":1}`), OCI_MANIFEST],
        ['sha384-subject', image(configJson, layerJson, `,"subject":{"mediaType":"${OCI_MANIFEST}","digest":"sha384:${'a'.repeat(96)}","size":10}`), OCI_MANIFEST],
        ['upper-config', image(configJson.replace(config.digest, config.digest.toUpperCase().replace('SHA256', 'sha256')), layerJson), OCI_MANIFEST],
        ['short-child', doc(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[{"mediaType":"${OCI_MANIFEST}","digest":"sha256:abc","size":1}]}`), OCI_INDEX],
      ];
      for (const [tag, body, type] of bad) {
        await assertOciError(await client.pushManifest(repo, tag, body, type), 400, 'MANIFEST_INVALID');
        await assertOciError(await client.request('GET', `/v2/${repo}/manifests/${tag}`), 404, 'MANIFEST_UNKNOWN');
        if (prefix === 'corp/') {
          assert.equal(await upstreamStatus(name, tag), 404, `${tag} never reached the upstream`);
          assert.equal(await upstreamStatus(name, body.digest), 404, `${tag} never reached the upstream`);
        }
      }
      assert.equal((await client.request('GET', `/v2/${repo}/manifests/${manifest.digest}`)).status, 200);
    }
  });

  test('platform is validated; unknown platform fields are ignored however deep they go', async () => {
    for (const { prefix } of targets) {
      const repo = `${prefix}platforms/app`;
      const { manifest } = await client.pushImage(repo, 'base');
      const index = (platform: string): Blob =>
        doc(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${descriptor(OCI_MANIFEST, manifest).slice(0, -1)},"platform":${platform}}]}`);
      const good = index(`{"architecture":"arm64","os":"linux","variant":"v8","os.features":["a"],"features":["b"],"x-extra":${nestedArray(6000)}}`);
      assert.equal((await client.pushManifest(repo, 'good', good, OCI_INDEX)).status, 201);
      const get = await client.request('GET', `/v2/${repo}/manifests/good`, { headers: { accept: OCI_INDEX } });
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), good.bytes);
      for (const [tag, platform] of [
        ['deep-features', `{"architecture":"amd64","os":"linux","features":${nestedArray(6000)}}`],
        ['no-os', '{"architecture":"amd64"}'],
        ['numeric-arch', '{"architecture":64,"os":"linux"}'],
        ['os-features', '{"architecture":"amd64","os":"windows","os.features":"win32k"}'],
        ['array', '["linux"]'],
      ]) {
        await assertOciError(await client.pushManifest(repo, tag!, index(platform!), OCI_INDEX), 400, 'MANIFEST_INVALID');
      }
    }
  });

  test('a hostile referrers index under the tag schema neither breaks the listing nor later pushes', async () => {
    const name = 'hostile/app';
    const repo = `corp/${name}`;
    const { manifest: subject, config, layer } = await client.pushImage(repo, 'v1');
    // Written straight into the upstream, as anyone with access to it could: distribution accepts it.
    const tag = `sha256-${subject.digest.slice(7)}`;
    const hostile = doc(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${descriptor(OCI_MANIFEST, subject).slice(0, -1)},` +
      `"artifactType":"application/vnd.example.odd","platform":{"architecture":"amd64","os":"linux","x":${nestedArray(6000)}}}]}`);
    const put = await fetch(`${upstream.url}/v2/${name}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': OCI_INDEX }, body: hostile.bytes });
    assert.equal(put.status, 201, await put.text());

    const listed = await client.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
    assert.equal(listed.status, 200, await listed.clone().text());
    assert.deepEqual((await jsonOf<IndexBody>(listed)).manifests, [
      { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length, artifactType: 'application/vnd.example.odd' },
    ]);

    const referrer = doc(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","artifactType":"application/vnd.example.sig",` +
      `"config":${descriptor('application/vnd.oci.image.config.v1+json', config)},"layers":[${descriptor('application/octet-stream', layer)}],` +
      `"subject":${descriptor(OCI_MANIFEST, subject)}}`);
    const pushed = await client.pushManifest(repo, referrer.digest, referrer);
    assert.equal(pushed.status, 201, await pushed.clone().text());
    assert.equal(pushed.headers.get('oci-subject'), subject.digest);
    const after = await jsonOf<IndexBody>(await client.request('GET', `/v2/${repo}/referrers/${subject.digest}`));
    assert.deepEqual(after.manifests.map((m) => m.digest).sort(), [subject.digest, referrer.digest].sort());
    // The index Gantry wrote back holds only the fields a referrers response defines.
    const rewritten = await fetch(`${upstream.url}/v2/${name}/manifests/${tag}`, { headers: { accept: OCI_INDEX } });
    const entries = (JSON.parse(await rewritten.text()) as { manifests: Record<string, unknown>[] }).manifests;
    assert.ok(entries.every((e) => !('platform' in e)), JSON.stringify(entries).slice(0, 500));
  });

  test('a push is never a 5xx once the upstream stored it, even when its referrers index cannot be written', async () => {
    const repo = 'corp/flaky/app';
    const { manifest: subject, config, layer } = await client.pushImage(repo, 'v1');
    const referrer = doc(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","artifactType":"application/vnd.example.sig",` +
      `"config":${descriptor('application/vnd.oci.image.config.v1+json', config)},"layers":[${descriptor('application/octet-stream', layer)}],` +
      `"subject":${descriptor(OCI_MANIFEST, subject)}}`);
    const pushed = await client.pushManifest(repo, referrer.digest, referrer);
    assert.equal(pushed.status, 201, await pushed.clone().text());
    assert.equal(pushed.headers.get('docker-content-digest'), referrer.digest);
    // No OCI-Subject: the client learns that it must maintain the tag schema itself.
    assert.equal(pushed.headers.get('oci-subject'), null);
    const stored = await client.request('GET', `/v2/${repo}/manifests/${referrer.digest}`, { headers: { accept: OCI_MANIFEST } });
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), referrer.bytes);
    await waitFor('the failed index update in the log', async () => gateway.logs.join('').includes('referrers index'));
  });

  test('a 26,000-descriptor manifest over a handful of blobs is accepted whole by the local store', async () => {
    const repo = 'wide/app';
    const blobs = Array.from({ length: 5 }, () => randomBlob(64));
    for (const b of blobs) await client.pushBlob(repo, b);
    const layers = Array.from({ length: 26_000 }, (_, i) => descriptor('application/vnd.oci.image.layer.v1.tar', blobs[i % blobs.length]!));
    const wide = doc(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${descriptor('application/vnd.oci.image.config.v1+json', blobs[0]!)},` +
      `"layers":[${layers.join(',')}]}`);
    assert.ok(wide.bytes.length <= 4 * 1024 * 1024, `${wide.bytes.length} bytes`);
    const put = await client.pushManifest(repo, 'wide', wide);
    assert.equal(put.status, 201, await put.clone().text());
    const get = await client.request('GET', `/v2/${repo}/manifests/wide`, { headers: { accept: OCI_MANIFEST } });
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), wide.bytes);
  });
});
