import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';

/** The real client, end to end: a multi-arch image in through the gateway and back out, byte for byte. */
describe('skopeo through the gateway', () => {
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let image: BuiltImage;
  const dirs: { remove(): void }[] = [];
  const temp = (p: string) => {
    const d = tempDir(p);
    dirs.push(d);
    return d.path;
  };

  before(async () => {
    upstream = await startDistribution({ kind: 'htpasswd', users: { ci: 'pw' } });
    gateway = await startGateway({
      backends: {
        corp: { type: 'registry', url: upstream.url, credentials: { username: 'ci', password: 'pw' } },
        store: { type: 'local', path: temp('store') },
      },
      routes: [
        { prefix: 'corp/', backend: 'corp', upstreamPrefix: 'mirror/' },
        { prefix: '', backend: 'store' },
      ],
    });
    image = buildMultiArchImage(temp('layout'), { layersPerPlatform: 3 });
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    dirs.forEach((d) => d.remove());
  });

  for (const repo of ['corp/team/app', 'local/team/app']) {
    test(`copy a multi-arch image into ${repo} and back out, digests identical`, async () => {
      const ref = `docker://${gateway.host}/${repo}:v1`;
      await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, ref]);

      const raw = await skopeo(['inspect', '--raw', ref]);
      assert.equal(raw.stdout, image.index.bytes.toString(), 'index bytes are exact');
      const inspect = JSON.parse((await skopeo(['inspect', '--override-arch', 'arm64', ref])).stdout) as { Architecture: string; Layers: string[] };
      assert.equal(inspect.Architecture, 'arm64');
      const arm64 = JSON.parse(image.manifests[1]!.bytes.toString()) as { layers: { digest: string }[] };
      assert.deepEqual(inspect.Layers, arm64.layers.map((l) => l.digest));

      const out = temp('out');
      await skopeo(['copy', '--all', '--preserve-digests', ref, `oci:${out}:v1`]);
      const outIndex = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(outIndex.manifests[0]!.digest, image.index.digest);
      for (const blob of [...image.blobs, ...image.manifests]) {
        assert.deepEqual(readFileSync(join(out, 'blobs', 'sha256', blob.digest.slice(7))), blob.bytes, blob.digest);
      }

      await skopeo(['copy', '--all', ref, `docker://${gateway.host}/${repo}:v2`]);
      const tags = JSON.parse((await skopeo(['list-tags', `docker://${gateway.host}/${repo}`])).stdout) as { Tags: string[] };
      assert.deepEqual(tags.Tags.sort(), ['v1', 'v2']);

      await skopeo(['delete', `docker://${gateway.host}/${repo}@${image.index.digest}`]);
      await assert.rejects(skopeo(['inspect', '--raw', ref]), /manifest unknown|not found/i);
    });
  }

  test('the corp route stored the image under the upstream prefix', async () => {
    const res = await fetch(`${upstream.url}/v2/_catalog`, { headers: { authorization: `Basic ${Buffer.from('ci:pw').toString('base64')}` } });
    const { repositories } = (await res.json()) as { repositories: string[] };
    assert.ok(repositories.includes('mirror/team/app'), JSON.stringify(repositories));
  });
});
