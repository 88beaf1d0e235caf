import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { logLines } from '../support/log-lines';
import { waitFor } from '../support/temp';
import { assertOciError, jsonOf, V2Client, type Blob } from '../support/v2-client';
import {
  accessClaim, assertNoSecrets, basic, bearer, fetchToken, PASSWORDS, startAuthGateway, usersConfig, type AuthGateway, type UserName,
} from './access-fixtures';

/** The rules as requests meet them: deny over allow, globs, groups, anonymous, the catalog, mounts, explain. */
describe('access rules', () => {
  let auth: AuthGateway;
  let secretLayer: Blob;
  let sharedLayer: Blob;
  const client = (user?: UserName) => new V2Client(auth.gateway.url, user ? basic(user) : undefined);

  before(async () => {
    auth = await startAuthGateway({
      users: usersConfig({ alice: ['dev'], carol: ['ops'] }),
      rules: [
        { name: 'dev', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull', 'push', 'delete'] },
        { name: 'no-secret', effect: 'deny', subjects: ['group:dev'], repositories: ['team/secret/**'], actions: ['pull', 'push'] },
        { name: 'public', subjects: ['anonymous'], repositories: ['public/*'], actions: ['pull'] },
        { name: 'shared', subjects: ['authenticated'], repositories: ['shared/**'], actions: ['pull'] },
        { name: 'ops', subjects: ['group:ops'], repositories: ['**'], actions: ['pull', 'push', 'catalog'] },
        { name: 'listing', subjects: ['user:alice', 'user:bob'], repositories: ['*'], actions: ['catalog'] },
        { name: 'admins', subjects: ['user:alice'], repositories: ['*'], actions: ['admin'] },
      ],
    });
    const carol = client('carol');
    for (const repo of ['team/app', 'public/a', 'other/thing']) await carol.pushImage(repo, 'v1');
    secretLayer = (await carol.pushImage('team/secret/x', 'v1')).layer;
    sharedLayer = (await carol.pushImage('shared/lib', 'v1')).layer;
  });
  after(async () => {
    await auth?.stop();
  });

  test('deny beats allow: a dev may push team/app but not team/secret/x, and the audit line names the rule', async () => {
    await client('alice').pushImage('team/app', 'v2');
    const res = await client('alice').request('POST', '/v2/team/secret/x/blobs/uploads/');
    const reqId = res.headers.get('x-request-id');
    await assertOciError(res, 403, 'DENIED');
    await waitFor('the audit line of the denial', async () =>
      logLines(auth.gateway.logs).some((l) => l.audit === true && l.reqId === reqId && l.decision === 'deny' && l.rule === 'no-secret' && l.subject === 'user:alice' && l.backend === 'store'));
  });

  test('globs: public/* lets anonymous pull public/a but not public/a/b', async () => {
    assert.equal((await client().request('GET', '/v2/public/a/tags/list')).status, 200);
    await assertOciError(await client().request('GET', '/v2/public/a/b/tags/list'), 401, 'UNAUTHORIZED');
  });

  test('groups: without the dev group, bob may not push team/app, but may pull shared/** as any authenticated user', async () => {
    await assertOciError(await client('bob').request('POST', '/v2/team/app/blobs/uploads/'), 403, 'DENIED');
    assert.equal((await client('bob').request('GET', '/v2/shared/lib/tags/list')).status, 200);
  });

  test('anonymous tokens grant only what anonymous may do', async () => {
    const answer = await fetchToken(auth.gateway, undefined, ['repository:public/a:pull,push', 'repository:team/app:pull']);
    assert.deepEqual(accessClaim(answer.token), [{ type: 'repository', name: 'public/a', actions: ['pull'] }]);
    assert.equal((await new V2Client(auth.gateway.url, bearer(answer.token)).request('GET', '/v2/public/a/tags/list')).status, 200);
    await assertOciError(await client().request('GET', '/v2/_catalog'), 401, 'UNAUTHORIZED');
  });

  test('the catalog lists only what the subject may pull, with Basic or a catalog token', async () => {
    const names = async (c: V2Client) => (await jsonOf<{ repositories: string[] }>(await c.request('GET', '/v2/_catalog'))).repositories;
    assert.deepEqual(await names(client('alice')), ['shared/lib', 'team/app']);
    assert.deepEqual(await names(client('bob')), ['shared/lib']);
    assert.deepEqual(await names(client('carol')), ['other/thing', 'public/a', 'shared/lib', 'team/app', 'team/secret/x']);
    const token = await fetchToken(auth.gateway, 'alice', ['registry:catalog:*']);
    assert.deepEqual(accessClaim(token.token), [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    assert.deepEqual(await names(new V2Client(auth.gateway.url, bearer(token.token))), ['shared/lib', 'team/app']);
    // A token without the catalog scope is sent for one.
    const pullToken = await fetchToken(auth.gateway, 'alice', ['repository:team/app:pull']);
    const res = await new V2Client(auth.gateway.url, bearer(pullToken.token)).request('GET', '/v2/_catalog');
    assert.match(res.headers.get('www-authenticate') ?? '', /scope="registry:catalog:\*"/);
    await assertOciError(res, 401, 'UNAUTHORIZED');
  });

  test('a cross-repository mount needs pull on its source; without it the upload starts normally (202)', async () => {
    const alice = client('alice');
    const denied = await alice.request('POST', `/v2/team/app2/blobs/uploads/?mount=${secretLayer.digest}&from=team/secret/x`);
    assert.equal(denied.status, 202, await denied.text());
    const allowed = await alice.request('POST', `/v2/team/app2/blobs/uploads/?mount=${sharedLayer.digest}&from=shared/lib`);
    assert.equal(allowed.status, 201, await allowed.text());
    // With a token, the source must be in its scope too.
    const token = await fetchToken(auth.gateway, 'alice', ['repository:team/app3:pull,push']);
    const outOfScope = await new V2Client(auth.gateway.url, bearer(token.token)).request('POST', `/v2/team/app3/blobs/uploads/?mount=${sharedLayer.digest}&from=shared/lib`);
    assert.equal(outOfScope.status, 202, await outOfScope.text());
  });

  test('/admin needs admin: no credentials get a Basic challenge, a user without admin 403', async () => {
    const none = await client().request('GET', '/admin/v1/backends');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    await assertOciError(none, 401, 'UNAUTHORIZED');
    await assertOciError(await client('bob').request('GET', '/admin/v1/backends'), 403, 'DENIED');
    assert.equal((await client('alice').request('GET', '/admin/v1/backends')).status, 200);
    const token = await fetchToken(auth.gateway, 'alice', []);
    assert.equal((await new V2Client(auth.gateway.url, bearer(token.token)).request('GET', '/admin/v1/backends')).status, 200);
    assert.equal((await client().request('GET', '/healthz')).status, 200);
  });

  test('explain answers what the requests actually got', async () => {
    const cases: { user?: UserName; action: 'pull' | 'push'; repository: string; expect: 'allow' | 'deny'; rule?: string }[] = [
      { user: 'alice', action: 'push', repository: 'team/secret/x', expect: 'deny', rule: 'no-secret' },
      { user: 'alice', action: 'pull', repository: 'team/app', expect: 'allow', rule: 'dev' },
      { action: 'pull', repository: 'public/a', expect: 'allow', rule: 'public' },
      { action: 'pull', repository: 'team/app', expect: 'deny' },
      { user: 'bob', action: 'pull', repository: 'shared/lib', expect: 'allow', rule: 'shared' },
      { user: 'bob', action: 'push', repository: 'team/app', expect: 'deny' },
    ];
    for (const c of cases) {
      const explained = await client('alice').request('POST', '/admin/v1/access/explain', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subject: c.user ? `user:${c.user}` : 'anonymous', action: c.action, repository: c.repository }),
      });
      assert.equal(explained.status, 200);
      const answer = await jsonOf<{ decision: string; rule?: string; rules: { name: string }[] }>(explained);
      const label = `${c.user ?? 'anonymous'} ${c.action} ${c.repository}`;
      assert.equal(answer.decision, c.expect, label);
      assert.equal(answer.rule, c.rule, label);
      const res = c.action === 'pull'
        ? await client(c.user).request('GET', `/v2/${c.repository}/tags/list`)
        : await client(c.user).request('POST', `/v2/${c.repository}/blobs/uploads/`);
      await res.arrayBuffer();
      assert.equal(res.status === 401 || res.status === 403 ? 'deny' : 'allow', answer.decision, `${label}: request got ${res.status}`);
    }
    const withGroups = await client('alice').request('POST', '/admin/v1/access/explain', {
      body: JSON.stringify({ subject: { kind: 'oidc', name: 'github:repo', groups: ['ops'] }, action: 'push', repository: 'team/secret/x' }),
    });
    assert.equal((await jsonOf<{ decision: string; rule: string }>(withGroups)).rule, 'ops');
    await assertOciError(await client('alice').request('POST', '/admin/v1/access/explain', { body: '{"subject":"martian:x","action":"pull","repository":"a"}' }), 400, 'UNSUPPORTED');
  });

  test('no password appears in the logs or audit lines', () => {
    assertNoSecrets(auth.gateway.logs, Object.values(PASSWORDS));
  });
});
