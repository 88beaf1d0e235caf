import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { logLines } from '../support/log-lines';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir, waitFor } from '../support/temp';
import { startFailoverSetup, type FailoverSetup } from './failover-fixtures';

/** The real client: a multi-arch image pulled by tag through the gateway while the route's primary is down. */
describe('skopeo pulls through failover', () => {
  let setup: FailoverSetup;
  let image: BuiltImage;
  const dirs: { remove(): void }[] = [];
  const temp = (p: string): string => {
    const d = tempDir(p);
    dirs.push(d);
    return d.path;
  };

  before(async () => {
    setup = await startFailoverSetup([{ prefix: 'r/', backend: 'primary', replicas: ['replica'] }]);
    image = buildMultiArchImage(temp('layout'), { layersPerPlatform: 2 });
    for (const registry of [setup.primary, setup.replica]) {
      await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, `docker://${registry.host}/team/img:v1`]);
    }
  });
  after(async () => {
    await setup?.stop();
    dirs.forEach((d) => d.remove());
  });

  test('a tag pulled once while the primary worked is pulled again, every platform, from the replica', async () => {
    const ref = `docker://${setup.gateway.host}/r/team/img:v1`;
    await skopeo(['copy', '--all', '--preserve-digests', ref, `oci:${temp('before')}:v1`]);
    await setup.primary.pause();

    const out = temp('during');
    await skopeo(['copy', '--all', '--preserve-digests', ref, `oci:${out}:v1`]);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]!.digest, image.index.digest);
    for (const blob of [...image.blobs, ...image.manifests]) {
      assert.deepEqual(readFileSync(join(out, 'blobs', 'sha256', blob.digest.slice(7))), blob.bytes, blob.digest);
    }
    // Every layer and config came from the replica (the manifests were in the cache).
    const layers = image.blobs.map((blob) => `blob ${blob.digest}`);
    await waitFor('a failover log line per blob', async () => {
      const served = new Set(logLines(setup.gateway.logs).filter((line) => line.replica === 'replica').map((line) => line.object));
      return layers.every((object) => served.has(object));
    }, 5000);

    await assert.rejects(
      skopeo(['copy', '--all', `oci:${image.layoutDir}:v1`, `docker://${setup.gateway.host}/r/team/img:v2`]),
      'a push while the primary is down fails',
    );
    assert.equal(setup.replicaFront.count('PUT', '/v2/team/img/manifests/v2'), 0);
  });
});
