import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { accessClaim } from './access-fixtures';

const EXAMPLE = resolve(__dirname, '../../../examples/gantry-auth.yaml');

/** examples/gantry-auth.yaml starts, and its users log in with the passwords its comments give. */
describe('examples/gantry-auth.yaml', () => {
  let gateway: GatewayProcess;
  const dir = tempDir('example-auth');

  before(async () => {
    const example = parse(readFileSync(EXAMPLE, 'utf8')) as { auth: Record<string, unknown> };
    gateway = await startGateway({
      backends: { local: { type: 'local', path: join(dir.path, 'data') } },
      routes: [{ prefix: '', backend: 'local' }],
      auth: { ...example.auth, signingKey: { file: join(dir.path, 'key.pem') } },
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
});
