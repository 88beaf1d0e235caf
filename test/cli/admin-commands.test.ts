import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORDS, startAuthGateway, type AuthGateway } from '../access/access-fixtures';
import { runGantry } from './gantry-process';

/**
 * `gantry explain` and `gantry robot create|list|revoke` against a real gateway with access
 * control: alice operates it (admin), bob may only pull team/*.
 */
describe('gantry admin commands against a gateway with auth', () => {
  let auth: AuthGateway;
  let asAlice: NodeJS.ProcessEnv;

  before(async () => {
    auth = await startAuthGateway({
      rules: [
        { name: 'operators', subjects: ['user:alice'], repositories: ['*'], actions: ['admin'] },
        { name: 'team-pull', subjects: ['user:bob'], repositories: ['team/**'], actions: ['pull'] },
      ],
    });
    asAlice = { GANTRY_URL: auth.gateway.url, GANTRY_USER: 'alice', GANTRY_PASSWORD: PASSWORDS.alice };
  });
  after(() => auth?.stop());

  test('explain: allow and deny with the deciding rule, as text and as JSON', async () => {
    const allowed = await runGantry(['explain', 'user:bob', 'pull', 'team/app'], { env: asAlice });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /^decision: allow\n/);
    assert.match(allowed.stdout, /^rule: {5}team-pull$/m);
    const denied = await runGantry(['explain', 'user:bob', 'push', 'team/app', '--json'], { env: asAlice });
    assert.equal(denied.code, 0, denied.stderr);
    const answer = JSON.parse(denied.stdout) as { decision: string; subject: string; action: string; repository: string };
    assert.equal(answer.decision, 'deny');
    assert.equal(answer.action, 'push');
    assert.equal(answer.repository, 'team/app');
  });

  test('explain repo:tag sends the tag as the reference (a pull then resolves it: here it does not exist)', async () => {
    const run = await runGantry(['explain', 'user:bob', 'pull', 'team/app:1.0'], { env: asAlice });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^gantry explain: POST \/admin\/v1\/access\/explain: 404 MANIFEST_UNKNOWN: unknown tag: 1\.0\n$/);
  });

  test('explain takes a spelled-out subject as JSON', async () => {
    const run = await runGantry(['explain', '{"kind":"user","name":"bob","groups":[]}', 'pull', 'team/app', '--json'], { env: asAlice });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { decision: string }).decision, 'allow');
    const bad = await runGantry(['explain', '{"kind":', 'pull', 'team/app'], { env: asAlice });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^gantry explain: <subject>: not valid JSON/);
  });

  test('credentials: --url and --user flags, the password on stdin; none is a 401 with a hint; a non-admin gets 403', async () => {
    const viaFlags = await runGantry(['explain', 'anonymous', 'pull', 'team/app', '--url', auth.gateway.url, '--user', 'alice', '--password-stdin'], {
      stdin: `${PASSWORDS.alice}\n`,
    });
    assert.equal(viaFlags.code, 0, viaFlags.stderr);
    assert.match(viaFlags.stdout, /^decision: deny/);

    const anonymous = await runGantry(['robot', 'list'], { env: { GANTRY_URL: auth.gateway.url } });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /^gantry robot list: GET \/admin\/v1\/robots: 401 UNAUTHORIZED: authentication required \(give --user/);

    const bob = await runGantry(['robot', 'list'], { env: { GANTRY_URL: auth.gateway.url, GANTRY_USER: 'bob', GANTRY_PASSWORD: PASSWORDS.bob } });
    assert.equal(bob.code, 1);
    assert.match(bob.stderr, /403 DENIED: user:bob may not use the admin API/);

    const wrong = await runGantry(['robot', 'list'], { env: { ...asAlice, GANTRY_PASSWORD: 'not-her-password' } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /401/);
    assert.ok(!wrong.stderr.includes('not-her-password'), 'the password is echoed');

    const noPassword = await runGantry(['robot', 'list'], { env: { GANTRY_URL: auth.gateway.url, GANTRY_USER: 'alice' } });
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /no password for alice: set GANTRY_PASSWORD or pipe it into --password-stdin/);
  });

  test('a gateway that is not there: exit 1 naming the address', async () => {
    const run = await runGantry(['robot', 'list', '--url', 'http://127.0.0.1:1'], { env: { GANTRY_USER: 'alice', GANTRY_PASSWORD: PASSWORDS.alice } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^gantry robot list: cannot reach http:\/\/127\.0\.0\.1:1: /);
  });

  test('robot create, list, log in with it, revoke', async () => {
    const created = await runGantry(
      ['robot', 'create', 'ci', '--scope', 'team/**:pull,push', '--scope', 'tools/*:pull', '--expires-in', '7d', '--description', 'team CI', '--json'],
      { env: asAlice },
    );
    assert.equal(created.code, 0, created.stderr);
    const robot = JSON.parse(created.stdout) as { name: string; username: string; secret: string; expiresAt: string };
    assert.equal(robot.username, 'robot+ci');
    assert.match(robot.secret, /^gantry_/);
    assert.match(created.stderr, /shown this once/);
    assert.ok(!created.stderr.includes(robot.secret), 'the secret went to stderr');

    // The secret works: the robot gets a token for its scope.
    const token = await fetch(`${auth.gateway.url}/token?service=gantry&scope=repository:team/app:pull,push`, {
      headers: { authorization: `Basic ${Buffer.from(`robot+ci:${robot.secret}`).toString('base64')}` },
    });
    assert.equal(token.status, 200, await token.clone().text());

    const listed = await runGantry(['robot', 'list'], { env: asAlice });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME +EXPIRES +SCOPE +DESCRIPTION\n/);
    assert.match(listed.stdout, /^ci +\S+ +team\/\*\*:pull,push tools\/\*:pull +team CI$/m);
    assert.ok(!listed.stdout.includes(robot.secret));
    const asJson = await runGantry(['robot', 'list', '--json'], { env: asAlice });
    assert.deepEqual(
      (JSON.parse(asJson.stdout) as { name: string; scope: unknown }[]).map((r) => [r.name, r.scope]),
      [['ci', [{ repositories: ['team/**'], actions: ['pull', 'push'] }, { repositories: ['tools/*'], actions: ['pull'] }]]],
    );

    const revoked = await runGantry(['robot', 'revoke', 'ci'], { env: asAlice });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, 'revoked robot ci\n');
    const again = await runGantry(['robot', 'revoke', 'ci'], { env: asAlice });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /404 NAME_UNKNOWN: no robot account "ci"/);
    assert.equal((await runGantry(['robot', 'list'], { env: asAlice })).stdout, 'no robots\n');
  });

  test('robot create: a bad scope is a usage error; what the gateway rejects names the field', async () => {
    const scope = await runGantry(['robot', 'create', 'x', '--scope', 'team/**', '--expires-in', '1d'], { env: asAlice });
    assert.equal(scope.code, 2);
    assert.match(scope.stderr, /option '--scope <repositories:actions>' argument 'team\/\*\*' is invalid/);
    const action = await runGantry(['robot', 'create', 'x', '--scope', 'team/**:fly', '--expires-in', '1d'], { env: asAlice });
    assert.equal(action.code, 1);
    assert.match(action.stderr, /400 UNSUPPORTED: scope\[0\]\.actions\[0\]: /);
  });

  test('no password of the session appears in what the gateway logged', () => {
    const text = auth.gateway.logs.join('');
    assert.ok(text.length > 0);
    assert.ok(!text.includes(PASSWORDS.alice));
  });
});
