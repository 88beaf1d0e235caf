import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { freePort, tempDir } from '../support/temp';
import { startGarCloud, type GarCloud } from '../support/clouds/gar-cloud';

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');

/**
 * What google-auth-library prints when handed a credentials file the deprecated way, and any
 * Node process warning (`(node:123) AutopaginateTrueWarning: ...` from gax).
 */
const GOOGLE_WARNINGS = /deprecated|does not validate the credential configuration|\(node:\d+\) \w*Warning/i;

describe('a GAR credentialsFile through the gateway process', () => {
  let cloud: GarCloud;
  let gateway: GatewayProcess;
  let image: BuiltImage;
  const dir = tempDir('gar-credentials-file');

  before(async () => {
    cloud = await startGarCloud();
    image = buildMultiArchImage(join(dir.path, 'layout'), { layerBytes: 4096 });
    gateway = await startGateway({
      backends: {
        'gar-eu': {
          type: 'gar', location: cloud.location, project: cloud.project,
          registryUrl: cloud.registryUrl, apiEndpoint: cloud.apiEndpoint, credentialsFile: cloud.credentialsFile,
        },
      },
      routes: [{ prefix: 'gcp/', backend: 'gar-eu', upstreamPrefix: 'images/' }],
    });
  });
  after(async () => {
    await gateway?.stop();
    await cloud?.stop();
    dir.remove();
  });

  it('authenticates with the file (registry and control plane) and prints no Google or Node warning', async () => {
    const stsBefore = cloud.controlPlane.calls.sts ?? 0;
    const at = `docker://${gateway.host}/gcp/team/app:v1`;
    await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, at]);
    assert.equal((await skopeo(['inspect', '--raw', at])).stdout, image.index.bytes.toString());
    const catalog = (await (await fetch(`${gateway.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.ok(catalog.repositories.includes('gcp/team/app'), 'the catalog came through the Artifact Registry API');
    assert.ok((cloud.controlPlane.calls.sts ?? 0) > stsBefore, 'the external_account file was exchanged at STS');
    const logs = gateway.logs.join('');
    assert.doesNotMatch(logs, GOOGLE_WARNINGS);
  });

  it('a credentials file that cannot be read or has an unknown type stops start-up naming the key', async () => {
    writeFileSync(join(dir.path, 'odd.json'), JSON.stringify({ type: 'impersonated_service_account' }));
    for (const [file, expected] of [
      ['./missing.json', /backends\.gar-eu\.credentialsFile: cannot read .*missing\.json: ENOENT/],
      ['./odd.json', /backends\.gar-eu\.credentialsFile: unsupported credential type "impersonated_service_account"/],
    ] as const) {
      const config = join(dir.path, 'gantry.yaml');
      writeFileSync(config, stringify({
        server: { listen: `127.0.0.1:${await freePort()}` },
        backends: { 'gar-eu': { type: 'gar', location: cloud.location, project: cloud.project, registryUrl: cloud.registryUrl, credentialsFile: file } },
        routes: [{ prefix: '', backend: 'gar-eu' }],
      }));
      const result = await new Promise<{ code: number | null; stderr: string }>((res) => {
        const child = spawn(process.execPath, [MAIN, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // Started although it should not have: stop it so that the assertion below fails, not hangs.
        child.stdout.on('data', (d: Buffer) => d.toString().includes('Gantry listening') && child.kill('SIGKILL'));
        child.once('close', (code) => res({ code, stderr }));
      });
      assert.equal(result.code, 2, `${file}: ${result.stderr}`);
      assert.match(result.stderr, expected);
    }
  });
});
