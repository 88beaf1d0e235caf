import assert from 'node:assert/strict';
import { renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../support/temp';
import { assertOciError, jsonOf, V2Client } from '../support/v2-client';
import { basic, bearer, fetchToken, startAuthGateway, usersConfig, type AuthGateway } from './access-fixtures';

const RULES = [{ name: 'dev', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull', 'push'] }];
const USERS = usersConfig({ alice: ['dev'] });

function kidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
}

async function jwksKids(auth: AuthGateway): Promise<string[]> {
  const res = await fetch(`${auth.gateway.url}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  const { keys } = await jsonOf<{ keys: { kid: string; alg: string; kty: string; d?: string }[] }>(res);
  for (const key of keys) {
    assert.equal(key.alg, 'ES256');
    assert.equal(key.d, undefined, 'no private part is published');
  }
  return keys.map((k) => k.kid);
}

/** The signing key lives across restarts and rotates by config; rules decide again after a restart. */
describe('signing keys', () => {
  const dirs: { remove(): void }[] = [];
  const running: AuthGateway[] = [];
  const start = async (auth: Record<string, unknown>, options: { dir: string; keyFile?: string }) => {
    const gateway = await startAuthGateway({ users: USERS, rules: RULES, ...auth }, options);
    running.push(gateway);
    return gateway;
  };
  const dir = () => {
    const d = tempDir('signing-keys');
    dirs.push(d);
    return d.path;
  };
  after(async () => {
    await Promise.all(running.map((g) => g.stop()));
    dirs.forEach((d) => d.remove());
  });

  test('the key is generated once (mode 0600) and kept: tokens survive a restart', async () => {
    const base = dir();
    const first = await start({}, { dir: base });
    await new V2Client(first.gateway.url, basic('alice')).pushImage('team/app', 'v1');
    const token = (await fetchToken(first.gateway, 'alice', ['repository:team/app:pull'])).token;
    const kids = await jwksKids(first);
    assert.equal(kids.length, 1);
    assert.equal(kidOf(token), kids[0]);
    assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
    await first.stop();

    const second = await start({}, { dir: base });
    assert.deepEqual(await jwksKids(second), kids);
    assert.equal((await new V2Client(second.gateway.url, bearer(token)).request('GET', '/v2/team/app/tags/list')).status, 200);
  });

  test('rotation: with the old key in previous, old tokens still work, new ones use the new key, jwks lists both', async () => {
    const base = dir();
    const first = await start({}, { dir: base });
    await new V2Client(first.gateway.url, basic('alice')).pushImage('team/app', 'v1');
    const oldToken = (await fetchToken(first.gateway, 'alice', ['repository:team/app:pull'])).token;
    const [oldKid] = await jwksKids(first);
    await first.stop();
    const retired = join(base, 'keys', 'retired.pem');
    renameSync(first.keyFile, retired);

    const rotated = await start({ signingKey: { file: first.keyFile, previous: [retired] } }, { dir: base, keyFile: first.keyFile });
    const kids = await jwksKids(rotated);
    assert.equal(kids.length, 2);
    assert.ok(kids.includes(oldKid!));
    const newToken = (await fetchToken(rotated.gateway, 'alice', ['repository:team/app:pull'])).token;
    assert.notEqual(kidOf(newToken), oldKid);
    assert.ok(kids.includes(kidOf(newToken)));
    for (const token of [oldToken, newToken]) {
      assert.equal((await new V2Client(rotated.gateway.url, bearer(token)).request('GET', '/v2/team/app/tags/list')).status, 200);
    }
    await rotated.stop();

    // Once the old key leaves `previous`, its tokens are refused.
    const later = await start({ signingKey: { file: first.keyFile } }, { dir: base, keyFile: first.keyFile });
    await assertOciError(await new V2Client(later.gateway.url, bearer(oldToken)).request('GET', '/v2/team/app/tags/list'), 401, 'UNAUTHORIZED');
    assert.equal((await new V2Client(later.gateway.url, bearer(newToken)).request('GET', '/v2/team/app/tags/list')).status, 200);
  });

  test('a token does not outlive a changed rule: after a restart with a deny, the same token is refused', async () => {
    const base = dir();
    const first = await start({}, { dir: base });
    await new V2Client(first.gateway.url, basic('alice')).pushImage('team/app', 'v1');
    const token = (await fetchToken(first.gateway, 'alice', ['repository:team/app:pull'])).token;
    await first.stop();
    const deny = { name: 'freeze', effect: 'deny', subjects: ['user:alice'], repositories: ['team/**'], actions: ['pull'] };
    const second = await start({ rules: [...RULES, deny] }, { dir: base });
    await assertOciError(await new V2Client(second.gateway.url, bearer(token)).request('GET', '/v2/team/app/tags/list'), 403, 'DENIED');
  });

  test('a user removed from the config: their token is refused after the restart (401 invalid_token)', async () => {
    const base = dir();
    const first = await start({}, { dir: base });
    await new V2Client(first.gateway.url, basic('alice')).pushImage('team/app', 'v1');
    const token = (await fetchToken(first.gateway, 'alice', ['repository:team/app:pull'])).token;
    await first.stop();
    const second = await start({ users: USERS.filter((u) => u.name !== 'alice') }, { dir: base });
    const res = await new V2Client(second.gateway.url, bearer(token)).request('GET', '/v2/team/app/tags/list');
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await assertOciError(res, 401, 'UNAUTHORIZED');
  });
});
