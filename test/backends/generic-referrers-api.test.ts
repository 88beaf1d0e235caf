import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { MediaType, type Descriptor } from '#oci';
import { GenericRegistry } from '../../libs/registry/src/backends/generic';
import { freePort } from '../support/temp';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * An upstream with the OCI 1.1 referrers API (distribution 2.8 has none): the backend must
 * detect it once, use it, and never write a tag-schema index there.
 */
describe('GenericRegistry with an upstream that has the referrers API', () => {
  const subject = `sha256:${'c'.repeat(64)}`;
  const sig: Descriptor = { mediaType: MediaType.OCI_MANIFEST, digest: `sha256:${'1'.repeat(64)}`, size: 10, artifactType: 'application/vnd.example.sig' };
  const sbom: Descriptor = { mediaType: MediaType.OCI_MANIFEST, digest: `sha256:${'2'.repeat(64)}`, size: 20, artifactType: 'application/vnd.example.sbom' };
  const seen: string[] = [];
  let filterUpstream = true;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    if (url.pathname.includes('/referrers/')) {
      const type = url.searchParams.get('artifactType');
      const manifests = type && filterUpstream ? [sig, sbom].filter((d) => d.artifactType === type) : [sig, sbom];
      const headers: Record<string, string> = { 'content-type': MediaType.OCI_INDEX };
      if (type && filterUpstream) headers['oci-filters-applied'] = 'artifactType';
      return void res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests }));
    }
    if (req.method === 'PUT') {
      req.resume();
      req.on('end', () => res.writeHead(201, { 'docker-content-digest': url.pathname.split('/').pop()!, 'oci-subject': subject }).end());
      return;
    }
    res.writeHead(404).end();
  });
  let registry: GenericRegistry;

  before(async () => {
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    registry = new GenericRegistry({
      name: 'acr-like', type: 'registry', url: `http://127.0.0.1:${port}`, blobMode: 'proxy',
      timeouts: { connectMs: 1000, readMs: 5000 }, retries: 0, logger: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    await registry?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('lists through the API; OCI-Filters-Applied decides who filtered', async () => {
    assert.equal((await registry.status()).referrers, 'probe');
    assert.deepEqual(await registry.listReferrers('team/app', subject), { manifests: [sig, sbom], filtered: false });
    assert.equal((await registry.status()).referrers, 'api');
    assert.deepEqual(await registry.listReferrers('team/app', subject, 'application/vnd.example.sig'), { manifests: [sig], filtered: true });
    assert.ok(seen.includes(`GET /v2/team/app/referrers/${subject}?artifactType=application%2Fvnd.example.sig`));
    filterUpstream = false;
    assert.deepEqual(await registry.listReferrers('team/app', subject, 'application/vnd.example.sbom'), { manifests: [sbom], filtered: true });
  });

  test('a manifest with a subject is pushed once; the subject comes from OCI-Subject; no tag index is written', async () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST, config: sig, layers: [], subject: { mediaType: MediaType.OCI_MANIFEST, digest: subject, size: 1 } }));
    const result = await registry.putManifest('team/app', sha(bytes), { bytes, mediaType: MediaType.OCI_MANIFEST, digest: sha(bytes) }, { mediaType: MediaType.OCI_MANIFEST, digest: subject, size: 1 });
    assert.deepEqual(result, { digest: sha(bytes), subject });
    assert.deepEqual(seen.filter((s) => s.startsWith('PUT')), [`PUT /v2/team/app/manifests/${sha(bytes)}`]);
  });
});
