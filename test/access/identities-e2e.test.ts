import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'node:http';
import { accessClaim, assertNoSecrets, basic, PASSWORDS, SkopeoSession, startAuthGateway, type AuthGateway } from './access-fixtures';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { startOidcIssuer, type OidcIssuerStandIn } from '../support/oidc-issuer';
import { tempDir } from '../support/temp';

/**
 * Robot accounts, OIDC federation and failed-login limits through the real gateway's /token
 * (identities from the "ident" work, the token service from the "token" work).
 */
let issuer: OidcIssuerStandIn;
let auth: AuthGateway;
let image: BuiltImage;
const layout = tempDir('identities-layout');
/** Every robot secret and ID token the tests used: none may show up in a log line. */
const secrets: string[] = [];
before(async () => {
  image = buildMultiArchImage(layout.path, { layersPerPlatform: 1 });
  issuer = await startOidcIssuer();
  auth = await startAuthGateway({
    oidc: [{ name: 'github', issuer: issuer.issuer, audience: 'gantry', groups: { repository_owner: { acme: 'ci-acme' } } }],
    rules: [
      { name: 'operators', subjects: ['user:alice'], repositories: ['*'], actions: ['admin'] },
      { name: 'acme-ci', subjects: ['group:ci-acme'], repositories: ['acme/**'], actions: ['pull'] },
      { name: 'app-push', subjects: ['claim:repository=acme/app'], repositories: ['acme/app'], actions: ['push'] },
      { name: 'no-prod-for-robots', effect: 'deny', subjects: ['robot:deployer'], repositories: ['team/prod/**'], actions: ['push'] },
    ],
  });
});
after(async () => {
  await auth?.stop();
  await issuer?.stop();
  layout.remove();
});

async function createRobot(name: string, scope: { repositories: string[]; actions: string[] }[]): Promise<string> {
  const created = await fetch(`${auth.gateway.url}/admin/v1/robots`, {
    method: 'POST',
    headers: { authorization: basic('alice'), 'content-type': 'application/json' },
    body: JSON.stringify({ name, scope, expiresIn: '1d' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { secret } = (await created.json()) as { secret: string };
  secrets.push(secret);
  return secret;
}

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
  secrets.push(secret);
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
  secrets.push(idToken);
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

test('skopeo logs in as a robot and copies within its scope; a push outside it, or a rule denies, fails', async () => {
  const secret = await createRobot('deployer', [{ repositories: ['team/**'], actions: ['pull', 'push'] }]);
  const skopeo = new SkopeoSession();
  try {
    const host = new URL(auth.gateway.url).host;
    await skopeo.loginAs(host, 'robot+deployer', secret);
    await skopeo.run(['copy', '--all', '--authfile', skopeo.authFile, '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${host}/team/app:v1`]);
    const out = tempDir('robot-pull');
    try {
      await skopeo.run(['copy', '--all', '--authfile', skopeo.authFile, '--src-tls-verify=false', `docker://${host}/team/app:v1`, `oci:${out.path}:v1`]);
    } finally {
      out.remove();
    }
    await assert.rejects(skopeo.run(['copy', '--authfile', skopeo.authFile, '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${host}/other/app:v1`]), /denied|unauthorized|authentication required|403 \(Forbidden\)/i);
    await assert.rejects(skopeo.run(['copy', '--authfile', skopeo.authFile, '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${host}/team/prod/app:v1`]), /denied|unauthorized|authentication required|403 \(Forbidden\)/i);
  } finally {
    skopeo.remove();
  }
});

test('skopeo logs in with an OIDC ID token (as a GitHub Actions job would) and pushes where its claims allow', async () => {
  const idToken = await issuer.mint();
  secrets.push(idToken);
  const skopeo = new SkopeoSession();
  try {
    const host = new URL(auth.gateway.url).host;
    await skopeo.loginAs(host, 'oidc', idToken);
    await skopeo.run(['copy', '--all', '--authfile', skopeo.authFile, '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${host}/acme/app:v1`]);
    const inspected = await skopeo.run(['inspect', '--raw', '--authfile', skopeo.authFile, '--tls-verify=false', `docker://${host}/acme/app:v1`]);
    assert.equal(JSON.parse(inspected.stdout).mediaType, 'application/vnd.oci.image.index.v1+json');
    // acme/** is pull-only for the group; only acme/app may be pushed by this repository's jobs.
    await assert.rejects(skopeo.run(['copy', '--authfile', skopeo.authFile, '--dest-tls-verify=false', `oci:${image.layoutDir}:v1`, `docker://${host}/acme/lib:v1`]), /denied|unauthorized|authentication required|403 \(Forbidden\)/i);
    // An ID token for another audience does not log in.
    await assert.rejects(skopeo.loginAs(host, 'oidc', await issuer.mint({}, { audience: 'other' })), /invalid username\/password/);
  } finally {
    skopeo.remove();
  }
});

test('no robot secret, ID token or password in any log or audit line', () => {
  const logs = auth.gateway.logs;
  assert.ok(logs.join('').includes('"event":"robot"'), 'robot audit lines were captured');
  assertNoSecrets(logs, [...secrets, ...secrets.map((s) => s.split('.')[2] ?? s), ...Object.values(PASSWORDS)]);
});
