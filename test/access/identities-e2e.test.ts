import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'node:http';
import { accessClaim, basic, startAuthGateway, type AuthGateway } from './access-fixtures';
import { startOidcIssuer, type OidcIssuerStandIn } from '../support/oidc-issuer';

/**
 * Robot accounts, OIDC federation and failed-login limits through the real gateway's /token
 * (identities from the "ident" work, the token service from the "token" work).
 */
let issuer: OidcIssuerStandIn;
let auth: AuthGateway;
before(async () => {
  issuer = await startOidcIssuer();
  auth = await startAuthGateway({
    oidc: [{ name: 'github', issuer: issuer.issuer, audience: 'gantry', groups: { repository_owner: { acme: 'ci-acme' } } }],
    rules: [
      { name: 'operators', subjects: ['user:alice'], repositories: ['*'], actions: ['admin'] },
      { name: 'acme-ci', subjects: ['group:ci-acme'], repositories: ['acme/**'], actions: ['pull'] },
      { name: 'app-push', subjects: ['claim:repository=acme/app'], repositories: ['acme/app'], actions: ['push'] },
    ],
  });
});
after(async () => {
  await auth?.stop();
  await issuer?.stop();
});

function basicOf(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** GET /token, from `localAddress` (another loopback address is another client address). */
function token(authorization: string, scope: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: Record<string, unknown>; retryAfter?: string }> {
  const url = new URL('/token', auth.gateway.url);
  url.searchParams.set('service', 'gantry');
  url.searchParams.set('scope', scope);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization }, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>, ...(retryAfter ? { retryAfter } : {}) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('a robot logs in with its secret and gets its scope; once revoked, neither its login nor its token works', async () => {
  const created = await fetch(`${auth.gateway.url}/admin/v1/robots`, {
    method: 'POST',
    headers: { authorization: basic('alice'), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', scope: [{ repositories: ['team/**'], actions: ['pull'] }], expiresIn: '1d' }),
  });
  assert.equal(created.status, 201);
  const { secret } = (await created.json()) as { secret: string };
  const answer = await token(basicOf('robot+ci', secret), 'repository:team/app:pull,push');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(accessClaim(answer.body.token as string), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  const tags = `${auth.gateway.url}/v2/team/app/tags/list`;
  assert.notEqual((await fetch(tags, { headers: { authorization: `Bearer ${answer.body.token as string}` } })).status, 401);
  assert.equal((await fetch(`${auth.gateway.url}/admin/v1/robots/ci`, { method: 'DELETE', headers: { authorization: basic('alice') } })).status, 204);
  assert.equal((await token(basicOf('robot+ci', secret), 'repository:team/app:pull')).status, 401);
  assert.equal((await fetch(tags, { headers: { authorization: `Bearer ${answer.body.token as string}` } })).status, 401);
  // Created again under the same name (a leaked secret replaced): the old token stays dead.
  const again = await fetch(`${auth.gateway.url}/admin/v1/robots`, {
    method: 'POST',
    headers: { authorization: basic('alice'), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', scope: [{ repositories: ['team/**'], actions: ['pull'] }], expiresIn: '1d' }),
  });
  assert.equal(again.status, 201);
  assert.equal((await fetch(tags, { headers: { authorization: `Bearer ${answer.body.token as string}` } })).status, 401);
  assert.equal((await token(basicOf('robot+ci', secret), 'repository:team/app:pull')).status, 401);
});

test('a CI job logs in with its OIDC ID token; its claims decide what it gets', async () => {
  const idToken = await issuer.mint();
  const answer = await token(basicOf('oidc', idToken), 'repository:acme/app:pull,push');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(accessClaim(answer.body.token as string), [{ type: 'repository', name: 'acme/app', actions: ['pull', 'push'] }]);
  const other = await token(basicOf('oidc', await issuer.mint({ repository: 'acme/lib' })), 'repository:acme/app:pull,push');
  assert.deepEqual(accessClaim(other.body.token as string), [{ type: 'repository', name: 'acme/app', actions: ['pull'] }]);
  assert.equal((await token(basicOf('oidc', await issuer.mint({}, { audience: 'other' })), 'repository:acme/app:pull')).status, 401);
});

test('the 11th bad password in a minute gets 429; the right one from another address still works', async () => {
  for (let i = 0; i < 10; i++) assert.equal((await token(basicOf('bob', `wrong-${i}`), 'repository:x/y:pull')).status, 401);
  const blocked = await token(basic('bob'), 'repository:x/y:pull');
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.retryAfter) >= 1, blocked.retryAfter);
  assert.equal((await token(basic('bob'), 'repository:x/y:pull', '127.0.0.2')).status, 200);
});
