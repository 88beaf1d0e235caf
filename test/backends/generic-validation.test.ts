import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { MediaType } from '#oci';
import { GenericRegistry } from '../../libs/registry/src/backends/generic';
import { startDistribution, type Distribution } from '../support/distribution';
import { rejectsWith } from '../support/oci-assert';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The generic backend validates a manifest itself, whoever calls the port: nothing invalid goes upstream. */
describe('GenericRegistry refuses invalid manifests before they reach the upstream', () => {
  let upstream: Distribution;
  let registry: GenericRegistry;
  const config = randomBytes(20);
  const layer = randomBytes(40);

  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    registry = new GenericRegistry({
      name: 'corp', type: 'registry', url: upstream.url, blobMode: 'proxy',
      timeouts: { connectMs: 2000, readMs: 10000 }, retries: 0, logger: pino({ level: 'silent' }),
    });
    for (const b of [config, layer]) await registry.putBlob('team/app', sha(b), Readable.from([b]), b.length);
  });
  after(async () => {
    await registry?.close();
    await upstream?.stop();
  });

  const manifest = (layerDigest: string, extra: Record<string, unknown> = {}) => {
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
      config: { mediaType: MediaType.OCI_CONFIG, digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
      ...extra,
    }));
    return { bytes, digest: sha(bytes), mediaType: MediaType.OCI_MANIFEST };
  };

  test('an md5 layer and a sha384 subject are MANIFEST_INVALID and never stored upstream', async () => {
    const cases = {
      md5: manifest(`md5:${'0'.repeat(32)}`),
      sha384: manifest(sha(layer), { subject: { mediaType: MediaType.OCI_MANIFEST, digest: `sha384:${'a'.repeat(96)}`, size: 10 } }),
      annotations: manifest(sha(layer), { annotations: { a: 1 } }),
    };
    for (const [tag, m] of Object.entries(cases)) {
      await rejectsWith(registry.putManifest('team/app', tag, m), 'MANIFEST_INVALID');
      assert.equal((await fetch(`${upstream.url}/v2/team/app/manifests/${tag}`)).status, 404, tag);
    }
    const good = manifest(sha(layer));
    assert.deepEqual(await registry.putManifest('team/app', 'good', good), { digest: good.digest });
  });

  test('references that cannot exist read as MANIFEST_UNKNOWN without asking the upstream', async () => {
    for (const reference of ['.INVALID_MANIFEST_NAME', 'sha256:totallywrong', `md5:${'0'.repeat(32)}`]) {
      await rejectsWith(registry.getManifest('team/app', reference, []), 'MANIFEST_UNKNOWN');
      await rejectsWith(registry.statManifest('team/app', reference, []), 'MANIFEST_UNKNOWN');
      await rejectsWith(registry.deleteManifest('team/app', reference), 'MANIFEST_UNKNOWN');
    }
    await rejectsWith(registry.putManifest('team/app', '.INVALID_MANIFEST_NAME', manifest(sha(layer))), 'TAG_INVALID');
  });
});
