import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { tempDir } from '../support/temp';
import { assertOciError, V2Client } from '../support/v2-client';
import {
  accessClaim, assertNoSecrets, basic, bearer, fetchToken, PASSWORDS, SkopeoSession, startAuthGateway, usersConfig, type AuthGateway, type TokenAnswer,
} from './access-fixtures';

/** Logins the way clients do them: skopeo's token flow, Basic on /v2/, and the OAuth2 grants of POST /token. */
describe('login and tokens', () => {
  let auth: AuthGateway;
  let image: BuiltImage;
  const skopeo = new SkopeoSession();
  const layout = tempDir('access-layout');
  /** Every token the tests were given: none may show up in a log line. */
  const seenTokens: string[] = [];

  before(async () => {
    auth = await startAuthGateway({
      users: usersConfig({ alice: ['dev'] }),
      rules: [
        { name: 'dev-rw', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull', 'push', 'delete'] },
        { name: 'bob-reads', subjects: ['user:bob'], repositories: ['team/**'], actions: ['pull'] },
        { name: 'alice-admin', subjects: ['user:alice'], repositories: ['*'], actions: ['admin', 'catalog'] },
      ],
    });
    image = buildMultiArchImage(layout.path, { layersPerPlatform: 1 });
  });
  after(async () => {
    await auth?.stop();
    skopeo.remove();
    layout.remove();
  });

  test('skopeo login, then copy in and back out with the saved credentials', async () => {
    const host = auth.gateway.host;
    await skopeo.login(host, 'alice');
    const saved = JSON.parse(readFileSync(skopeo.authFile, 'utf8')) as { auths: Record<string, unknown> };
    assert.ok(saved.auths[host], 'skopeo saved the login');
    await skopeo.run(['copy', '--all', '--authfile', skopeo.authFile, '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${host}/team/app:v1`]);
    const out = tempDir('access-out');
    try {
      await skopeo.run(['copy', '--all', '--authfile', skopeo.authFile, '--src-tls-verify=false', `docker://${host}/team/app:v1`, `oci:${out.path}:v1`]);
      const index = JSON.parse(readFileSync(`${out.path}/index.json`, 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]!.digest, image.index.digest);
    } finally {
      out.remove();
    }
  });

  test('a push the rules deny fails for skopeo, and is 403 DENIED naming repository and action', async () => {
    const bob = new SkopeoSession();
    try {
      await bob.login(auth.gateway.host, 'bob');
      await assert.rejects(bob.copy(`oci:${image.layoutDir}:v1`, `docker://${auth.gateway.host}/team/bob:v1`), /denied|unauthorized|403|401/i);
    } finally {
      bob.remove();
    }
    const res = await new V2Client(auth.gateway.url, basic('bob')).request('POST', '/v2/team/bob/blobs/uploads/');
    const text = await res.text();
    assert.equal(res.status, 403, text);
    const body = JSON.parse(text) as { errors: { code: string; message: string; detail: { repository: string; action: string } }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.deepEqual(body.errors[0]!.detail, { repository: 'team/bob', action: 'push' });
  });

  test('a pull the rules deny fails for skopeo, and is 403 for a user, 401 with a challenge for anonymous', async () => {
    const carol = new SkopeoSession();
    try {
      await carol.login(auth.gateway.host, 'carol');
      await assert.rejects(carol.run(['inspect', '--raw', '--authfile', carol.authFile, '--tls-verify=false', `docker://${auth.gateway.host}/team/app:v1`]), /denied|unauthorized|403|401/i);
    } finally {
      carol.remove();
    }
    await assertOciError(await new V2Client(auth.gateway.url, basic('carol')).request('GET', '/v2/team/app/manifests/v1'), 403, 'DENIED');
    const anonymous = await new V2Client(auth.gateway.url).request('GET', '/v2/team/app/manifests/v1');
    assert.equal(anonymous.headers.get('www-authenticate'), `Bearer realm="${auth.gateway.url}/token",service="gantry",scope="repository:team/app:pull"`);
    await assertOciError(anonymous, 401, 'UNAUTHORIZED');
  });

  test('the challenge names exactly what a request needs', async () => {
    const client = new V2Client(auth.gateway.url);
    const scopeOf = async (method: string, path: string) => {
      const res = await client.request(method, path);
      await assertOciError(res, 401, 'UNAUTHORIZED');
      return /scope="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
    };
    assert.equal(await scopeOf('PUT', '/v2/team/app/manifests/v2'), 'repository:team/app:pull,push');
    assert.equal(await scopeOf('POST', '/v2/team/app/blobs/uploads/'), 'repository:team/app:pull,push');
    assert.equal(await scopeOf('DELETE', `/v2/team/app/manifests/${image.index.digest}`), 'repository:team/app:delete');
    assert.equal(await scopeOf('GET', '/v2/team/app/tags/list'), 'repository:team/app:pull');
    assert.equal(await scopeOf('GET', '/v2/_catalog'), 'registry:catalog:*');
    assert.equal(await scopeOf('GET', '/v2/'), undefined);
  });

  test('GET /token trims what the rules do not allow, and the token works for what it grants', async () => {
    const answer = await fetchToken(auth.gateway, 'bob', ['repository:team/app:pull,push', 'repository:other/x:pull']);
    seenTokens.push(answer.token);
    assert.equal(answer.token, answer.access_token);
    assert.equal(answer.expires_in, 300);
    assert.ok(!Number.isNaN(Date.parse(answer.issued_at)));
    assert.deepEqual(accessClaim(answer.token), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    const client = new V2Client(auth.gateway.url, bearer(answer.token));
    assert.equal((await client.request('GET', '/v2/team/app/manifests/v1', { headers: { accept: image.index.mediaType } })).status, 200);
    assert.equal((await client.request('GET', '/v2/')).status, 200);
  });

  test('Basic credentials work directly on /v2/ (curl -u); wrong ones get the challenge', async () => {
    const alice = new V2Client(auth.gateway.url, basic('alice'));
    assert.equal((await alice.request('GET', '/v2/')).status, 200);
    assert.equal((await alice.request('GET', '/v2/team/app/tags/list')).status, 200);
    const wrong = new V2Client(auth.gateway.url, `Basic ${Buffer.from('alice:not-her-password').toString('base64')}`);
    const res = await wrong.request('GET', '/v2/team/app/tags/list');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    await assertOciError(res, 401, 'UNAUTHORIZED');
  });

  test('bad credentials on /token are one answer, whether the user exists or not', async () => {
    const answers = await Promise.all(['alice:wrong-password', 'nobody:wrong-password'].map(async (pair) => {
      const res = await fetch(`${auth.gateway.url}/token?service=gantry&scope=repository:team/app:pull`, {
        headers: { authorization: `Basic ${Buffer.from(pair).toString('base64')}` },
      });
      return { status: res.status, body: await res.text(), challenge: res.headers.get('www-authenticate') };
    }));
    assert.equal(answers[0]!.status, 401);
    assert.deepEqual(answers[0], answers[1]);
  });

  test('POST /token: the password grant gives a refresh token with access_type=offline, the refresh grant a new access token', async () => {
    const post = (form: Record<string, string>) => fetch(`${auth.gateway.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const first = await post({
      grant_type: 'password', service: 'gantry', client_id: 'test', access_type: 'offline',
      username: 'alice', password: PASSWORDS.alice, scope: 'repository:team/app:pull,push repository:nope/x:pull',
    });
    assert.equal(first.status, 200);
    const tokens = (await first.json()) as TokenAnswer;
    assert.ok(tokens.refresh_token);
    seenTokens.push(tokens.access_token, tokens.refresh_token);
    assert.equal(tokens.scope, 'repository:team/app:pull,push');
    assert.equal((await new V2Client(auth.gateway.url, bearer(tokens.access_token)).request('GET', '/v2/team/app/tags/list')).status, 200);

    const refreshed = await post({ grant_type: 'refresh_token', service: 'gantry', client_id: 'test', refresh_token: tokens.refresh_token, scope: 'repository:team/app:pull' });
    assert.equal(refreshed.status, 200);
    const again = (await refreshed.json()) as TokenAnswer;
    seenTokens.push(again.access_token);
    assert.deepEqual(accessClaim(again.access_token), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.equal((await new V2Client(auth.gateway.url, bearer(again.access_token)).request('GET', '/v2/team/app/tags/list')).status, 200);

    // A refresh token is not an access token, and an access token is not a refresh token.
    await assertOciError(await new V2Client(auth.gateway.url, bearer(tokens.refresh_token)).request('GET', '/v2/team/app/tags/list'), 401, 'UNAUTHORIZED');
    await assertOciError(await post({ grant_type: 'refresh_token', service: 'gantry', client_id: 'test', refresh_token: tokens.access_token }), 401, 'UNAUTHORIZED');
    await assertOciError(await post({ grant_type: 'password', service: 'gantry', client_id: 'test', username: 'alice', password: 'wrong-password' }), 401, 'UNAUTHORIZED');
  });

  test('no password, token or key material in any log or audit line', async () => {
    const pem = readFileSync(auth.keyFile, 'utf8');
    const keyLines = pem.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
    const logs = auth.gateway.logs;
    assert.ok(logs.join('').includes('"audit":true'), 'audit lines were captured');
    assertNoSecrets(logs, [...Object.values(PASSWORDS), ...seenTokens, ...seenTokens.map((t) => t.split('.')[2]!), ...keyLines]);
  });
});
