import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { startGateway } from '../support/gateway-process';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';

const MAKE_DEMO_IMAGE = resolve(__dirname, '../../../examples/make-demo-image.sh');

/** The README's offline try-out, run as written: no network, only sh, tar, sha256sum and skopeo. */
describe('README: push an image made offline', () => {
  const dir = tempDir('offline-push');
  after(() => dir.remove());

  test('examples/make-demo-image.sh makes an image skopeo pushes to Gantry and copies between names', async () => {
    const gateway = await startGateway({ backends: { local: { type: 'local', path: join(dir.path, 'data') } }, routes: [{ prefix: '', backend: 'local' }] });
    try {
      const layout = join(dir.path, 'demo-image');
      const digest = execFileSync('sh', [MAKE_DEMO_IMAGE, layout], { encoding: 'utf8' }).trim();
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      await skopeo(['copy', `oci:${layout}:v1`, `docker://${gateway.host}/demo/hello:v1`]);
      await skopeo(['copy', `docker://${gateway.host}/demo/hello:v1`, `docker://${gateway.host}/demo/copy:v1`]);
      // skopeo compresses the tar layer on the way, so the pushed digest is not the layout's.
      const inspect = async (name: string): Promise<{ Digest: string; Architecture: string; Layers: string[] }> =>
        JSON.parse((await skopeo(['inspect', `docker://${gateway.host}/${name}:v1`])).stdout) as { Digest: string; Architecture: string; Layers: string[] };
      const pushed = await inspect('demo/hello');
      assert.equal(pushed.Architecture, 'amd64');
      assert.equal(pushed.Layers.length, 1);
      assert.equal((await inspect('demo/copy')).Digest, pushed.Digest, 'the copy between two names is the same image');
    } finally {
      await gateway.stop();
    }
  });
});
