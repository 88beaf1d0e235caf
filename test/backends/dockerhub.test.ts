import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino, { type Logger } from 'pino';
import type { BackendOfType } from '#config';
import { MediaType, OciError } from '#oci';
import { createDockerHubRegistry } from '../../libs/registry/src/backends/dockerhub';
import { GenericRegistry, StaticCredentials } from '../../libs/registry/src/backends/generic';
import type { Registry } from '../../libs/registry/src/port';
import { startDistribution, type Distribution } from '../support/distribution';
import { freePort } from '../support/temp';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function hubConfig(url: string, extra: Partial<BackendOfType<'dockerhub'>> = {}): BackendOfType<'dockerhub'> {
  return { type: 'dockerhub', url, blobs: 'proxy', timeouts: { connectMs: 2000, readMs: 10000, requestMs: 30000 }, retries: 1, circuitBreaker: { failures: 5, openSeconds: 30 }, ...extra };
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }), lines };
}

/** A one-layer image pushed through `registry` under `tag`; returns the manifest's bytes. */
async function pushImage(registry: Registry, repo: string, tag: string): Promise<Buffer> {
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = randomBytes(1024);
  for (const b of [config, layer]) await registry.putBlob(repo, sha(b), Readable.from([b]), b.length);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  }));
  await registry.putManifest(repo, tag, { bytes: manifest, mediaType: MediaType.OCI_MANIFEST, digest: sha(manifest) });
  return manifest;
}

describe('Docker Hub backend against a token-auth distribution', () => {
  let upstream: Distribution;
  let hub: Registry;
  let plain: GenericRegistry;
  let tokenHost = '';

  before(async () => {
    upstream = await startDistribution({ kind: 'token', users: { ci: 'dckr_pat_123' } });
    tokenHost = new URL(upstream.tokenServer!.url).host;
    hub = createDockerHubRegistry('hub', hubConfig(upstream.url, { credentials: { username: 'ci', password: 'dckr_pat_123' }, allowedRealmHosts: [tokenHost] }), pino({ level: 'silent' }));
    plain = new GenericRegistry({
      name: 'plain', type: 'registry', url: upstream.url, blobMode: 'proxy', credentials: new StaticCredentials({ username: 'ci', password: 'dckr_pat_123' }),
      allowedRealmHosts: [tokenHost], timeouts: { connectMs: 2000, readMs: 10000 }, retries: 1, logger: pino({ level: 'silent' }),
    });
    await pushImage(hub, 'alpine', '3.20'); // what the tests after the first read; each pushes what it changes
  });
  after(async () => {
    await hub?.close();
    await plain?.close();
    await upstream?.stop();
  });

  test('a one-segment name is library/<name> upstream', async () => {
    const manifest = await pushImage(hub, 'busybox', '1.36');
    assert.deepEqual((await plain.listTags('library/busybox', {})).items, ['1.36']);
    assert.deepEqual((await hub.getManifest('busybox', '1.36', [])).bytes, manifest);
    assert.deepEqual((await hub.getManifest('library/busybox', '1.36', [])).bytes, manifest);
    assert.deepEqual((await hub.listTags('busybox', {})).items, ['1.36']);
    const scopes = upstream.tokenServer!.requests.flatMap((r) => new URL(r.path, 'http://x').searchParams.getAll('scope'));
    assert.ok(scopes.includes('repository:library/busybox:pull'), scopes.join(' '));
    assert.ok(!scopes.some((s) => s.startsWith('repository:busybox:') || s.startsWith('repository:alpine:')), 'never the bare name');
  });

  test('no catalog, and referrers through the tag schema without a probe', async () => {
    assert.equal(hub.listRepositories, undefined);
    assert.equal((await hub.status()).referrers, 'tag-schema');
    const subjectBytes = (await hub.getManifest('alpine', '3.20', [])).bytes;
    const empty = Buffer.from('{}');
    await hub.putBlob('alpine', sha(empty), Readable.from([empty]), empty.length);
    const sig = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, artifactType: 'application/vnd.example.sig',
      config: { mediaType: MediaType.OCI_EMPTY, digest: sha(empty), size: 2 }, layers: [{ mediaType: MediaType.OCI_EMPTY, digest: sha(empty), size: 2 }],
      subject: { mediaType: MediaType.OCI_MANIFEST, digest: sha(subjectBytes), size: subjectBytes.length },
    }));
    const subject = { mediaType: MediaType.OCI_MANIFEST, digest: sha(subjectBytes), size: subjectBytes.length };
    const put = await hub.putManifest('alpine', sha(sig), { bytes: sig, mediaType: MediaType.OCI_MANIFEST, digest: sha(sig) }, subject);
    assert.equal(put.subject, sha(subjectBytes));
    const listed = await hub.listReferrers('alpine', sha(subjectBytes), 'application/vnd.example.sig');
    assert.deepEqual(listed.manifests.map((d) => d.digest), [sha(sig)]);
    assert.equal(listed.filtered, true);
    assert.ok((await plain.listTags('library/alpine', {})).items.includes(`sha256-${sha(subjectBytes).slice(7)}`));
  });

  test('status shows the type and the credential state, never the PAT', async () => {
    await hub.statManifest('alpine', '3.20', []);
    const status = await hub.status();
    assert.equal(status.type, 'dockerhub');
    assert.equal(status.name, 'hub');
    assert.equal(status.url, upstream.url);
    assert.equal(status.credentials?.state, 'valid');
    assert.ok(!JSON.stringify(status).includes('dckr_pat_123'));
  });

  test('by default only auth.docker.io (and the registry itself) may be a token realm', async () => {
    const strict = createDockerHubRegistry('hub', hubConfig(upstream.url, { credentials: { username: 'ci', password: 'dckr_pat_123' } }), pino({ level: 'silent' }));
    try {
      const before = upstream.tokenServer!.requests.length;
      await assert.rejects(strict.getManifest('alpine', '3.20', []), (err: unknown) =>
        err instanceof OciError && err.code === 'DENIED' && err.message.includes(`realm host ${tokenHost} not allowed for backend hub`));
      assert.equal(upstream.tokenServer!.requests.length, before);
    } finally {
      await strict.close();
    }
  });
});

describe('Docker Hub rate-limit headers', () => {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests: [] }));
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    res.writeHead(200, {
      'content-type': MediaType.OCI_INDEX, 'docker-content-digest': sha(manifest), 'content-length': manifest.length,
      'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '203.0.113.7',
    });
    res.end(req.method === 'HEAD' ? undefined : manifest);
  });
  let url = '';
  before(async () => {
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('are passed to the client and logged', async () => {
    const { logger, lines } = capture();
    const hub = createDockerHubRegistry('hub', hubConfig(url), logger);
    try {
      const got = await hub.getManifest('redis', '7', []);
      assert.deepEqual(got.bytes, manifest);
      assert.deepEqual(got.upstreamHeaders, { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '203.0.113.7' });
      assert.ok(paths.includes('GET /v2/library/redis/manifests/7'), paths.join(', '));
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'docker hub rate limit');
      assert.ok(logged, lines.join(''));
      assert.equal(logged.remaining, '76;w=21600');
      assert.equal(logged.backend, 'hub');
      assert.equal((await hub.statManifest('redis', '7', [])).upstreamHeaders?.['ratelimit-remaining'], '76;w=21600');
    } finally {
      await hub.close();
    }
  });
});
