import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { imageManifest, jsonOf, randomBlob, V2Client } from '../support/v2-client';
import { accessClaim } from './access-fixtures';

const EXAMPLE = resolve(__dirname, '../../../examples/gantry-auth.yaml');

/** examples/gantry-auth.yaml starts, and its users log in with the passwords its comments give. */
describe('examples/gantry-auth.yaml', () => {
  let gateway: GatewayProcess;
  const dir = tempDir('example-auth');

  before(async () => {
    const example = parse(readFileSync(EXAMPLE, 'utf8')) as { auth: Record<string, unknown>; policies: Record<string, unknown>[] };
    gateway = await startGateway({
      backends: { local: { type: 'local', path: join(dir.path, 'data') } },
      routes: [{ prefix: '', backend: 'local' }],
      auth: { ...example.auth, signingKey: { file: join(dir.path, 'key.pem') }, robots: { path: join(dir.path, 'robots.json') } },
      policies: example.policies,
    });
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  test('alice may push team/**, bob only pull it, nobody push team/releases/**', async () => {
    const token = async (user: string, password: string, scope: string) => {
      const res = await fetch(`${gateway.url}/token?service=gantry&scope=${scope}`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      });
      assert.equal(res.status, 200);
      return accessClaim(((await res.json()) as { token: string }).token);
    };
    assert.deepEqual(await token('alice', 'change-me-alice', 'repository:team/app:pull,push'), [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
    assert.deepEqual(await token('bob', 'change-me-bob', 'repository:team/app:pull,push'), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.deepEqual(await token('alice', 'change-me-alice', 'repository:team/releases/x:pull,push'), [{ type: 'repository', name: 'team/releases/x', actions: ['pull'] }]);
  });

  test('its signed-only policy refuses an unsigned prod image, and :latest, naming the policy', async () => {
    const alice = new V2Client(gateway.url, `Basic ${Buffer.from('alice:change-me-alice').toString('base64')}`);
    const config = randomBlob(100);
    await alice.pushBlob('prod/app', config);
    const manifest = imageManifest(config, []);
    for (const tag of ['v1', 'latest']) assert.equal((await alice.pushManifest('prod/app', tag, manifest)).status, 201);
    for (const [tag, reason] of [['v1', /no signature/], ['latest', /tag "latest"/]] as const) {
      const res = await alice.request('GET', `/v2/prod/app/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(res.status, 403);
      const message = (await jsonOf<{ errors: { message: string }[] }>(res)).errors[0]!.message;
      assert.match(message, /^policy "prod-signed": /);
      assert.match(message, reason);
    }
  });
});
