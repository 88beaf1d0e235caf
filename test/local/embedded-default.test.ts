import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildMultiArchImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';
import { startBareGateway, type BareGateway } from './bare-gateway';

/** `npm start` with no config: a registry of its own, storing in ./data of the working directory. */
describe('embedded defaults (no config file)', () => {
  const cwd = tempDir('embedded-cwd');
  const layout = tempDir('embedded-layout');
  const out = tempDir('embedded-out');
  let gateway: BareGateway;

  before(async () => {
    gateway = await startBareGateway(cwd.path);
  });
  after(async () => {
    await gateway?.stop();
    for (const d of [cwd, layout, out]) d.remove();
  });

  test('logs the URL it listens on and a command to try', () => {
    const lines = gateway.logs.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { msg?: string; url?: string });
    const listening = lines.find((l) => l.msg?.startsWith('Gantry listening'));
    assert.ok(listening, gateway.logs.join(''));
    assert.equal(listening.url, gateway.url);
    assert.equal(listening.msg, `Gantry listening on ${gateway.url}`);
    const tryLine = lines.find((l) => l.msg?.startsWith('try: '));
    assert.ok(tryLine, gateway.logs.join(''));
    assert.match(tryLine.msg!, new RegExp(`^try: skopeo copy .* docker://${gateway.host.replace(/\./g, '\\.')}/\\S+$`));
  });

  test('skopeo pushes and pulls an image; the store is ./data of the working directory', async () => {
    const image = buildMultiArchImage(layout.path);
    const ref = `docker://${gateway.host}/demo/app:1`;
    await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, ref]);
    await skopeo(['copy', '--all', '--preserve-digests', ref, `oci:${out.path}:v1`]);
    const index = JSON.parse(readFileSync(join(out.path, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]!.digest, image.index.digest);
    for (const blob of [...image.blobs, ...image.manifests]) {
      assert.deepEqual(readFileSync(join(out.path, 'blobs', 'sha256', blob.digest.slice(7))), blob.bytes, blob.digest);
    }
    assert.ok(existsSync(join(cwd.path, 'data', 'repositories', 'demo', 'app')), 'the repository is stored under ./data');
    assert.ok(existsSync(join(cwd.path, 'data', 'blobs', 'sha256', image.index.digest.slice(7, 9), image.index.digest.slice(7), 'data')));
  });
});
