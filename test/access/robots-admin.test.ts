import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashSync } from 'bcryptjs';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir, waitFor } from '../support/temp';

const ADMIN_PASSWORD = 'admin-Secret-2026';
/** Sent on every call: the admin API needs the `admin` action once access control guards /admin/. */
const adminHeaders = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

function authSection(robotsPath: string): Record<string, unknown> {
  return {
    users: [{ name: 'admin', passwordHash: hashSync(ADMIN_PASSWORD, 4), groups: ['ops'] }],
    rules: [{ name: 'operators', subjects: ['user:admin'], repositories: ['*'], actions: ['admin'] }],
    robots: { path: robotsPath, maxTtl: '90d' },
  };
}

async function startWith(dir: string, extra: Record<string, unknown> = {}): Promise<GatewayProcess> {
  return startGateway({
    backends: { store: { type: 'local', path: join(dir, 'store') } },
    routes: [{ prefix: '', backend: 'store' }],
    auth: authSection(join(dir, 'robots.json')),
    ...extra,
  });
}

async function call(gateway: GatewayProcess, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { ...adminHeaders, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const ci = { name: 'ci', scope: [{ repositories: ['team/**'], actions: ['pull', 'push'] }], expiresIn: '30d', description: 'CI pushes team images' };

interface CreatedAnswer {
  name: string;
  username: string;
  secret: string;
  expiresAt: string;
}

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

for (const store of ['file', 'redis'] as const) {
  describe(`robots admin API (${store} store)`, () => {
    test('create answers the secret once; list never shows it; revoke removes the robot', async () => {
      const dir = tempDir('robots-admin');
      const gateway = await startWith(dir.path, store === 'redis' ? { redis: { url: redis.url, keyPrefix: `robots-admin-${process.pid}:` } } : {});
      try {
        const before = Date.now();
        const created = await call(gateway, 'POST', '/admin/v1/robots', ci);
        assert.equal(created.status, 201, created.text);
        const robot = created.json as CreatedAnswer;
        assert.equal(robot.name, 'ci');
        assert.equal(robot.username, 'robot+ci');
        assert.match(robot.secret, /^gantry_[A-Za-z0-9_-]{43}$/);
        const expiresAt = Date.parse(robot.expiresAt);
        assert.ok(expiresAt >= before + 30 * 86_400_000 && expiresAt <= Date.now() + 30 * 86_400_000, robot.expiresAt);

        const listed = await call(gateway, 'GET', '/admin/v1/robots');
        assert.equal(listed.status, 200, listed.text);
        const robots = (listed.json as { robots: Record<string, unknown>[] }).robots;
        assert.equal(robots.length, 1);
        assert.deepEqual(
          { ...robots[0], createdAt: undefined },
          { name: 'ci', username: 'robot+ci', scope: ci.scope, description: ci.description, createdAt: undefined, expiresAt: robot.expiresAt, expired: false },
        );
        assert.ok(!listed.text.includes(robot.secret) && !listed.text.includes('sha256'), listed.text);
        if (store === 'file') {
          const stored = readFileSync(join(dir.path, 'robots.json'), 'utf8');
          assert.ok(stored.includes('"ci"') && !stored.includes(robot.secret), 'the file holds the robot, never its secret');
        } else {
          assert.ok(!existsSync(join(dir.path, 'robots.json')), 'with Redis there is no robots file');
        }

        assert.equal((await call(gateway, 'DELETE', '/admin/v1/robots/ci')).status, 204);
        const again = await call(gateway, 'DELETE', '/admin/v1/robots/ci');
        assert.equal(again.status, 404, again.text);
        assert.deepEqual((await call(gateway, 'GET', '/admin/v1/robots')).json, { robots: [] });

        // Create and revoke are audited; no line, audit or not, ever holds the secret.
        await waitFor('the robot audit lines', async () => logLines(gateway.logs).filter((l) => l.event === 'robot').length === 2);
        const audit = logLines(gateway.logs).filter((l) => l.event === 'robot');
        assert.deepEqual(audit.map((l) => [l.action, l.decision, String(l.reason).split(' ')[0]]), [
          ['robot.create', 'allow', 'robot:ci'],
          ['robot.revoke', 'allow', 'robot:ci'],
        ]);
        assert.ok(!gateway.logs.join('').includes(robot.secret), 'the secret reached a log line');
      } finally {
        await gateway.stop();
        dir.remove();
      }
    });

    test('a taken name is 409; bad input is 400 naming the field, and creates nothing', async () => {
      const dir = tempDir('robots-admin');
      const gateway = await startWith(dir.path, store === 'redis' ? { redis: { url: redis.url, keyPrefix: `robots-admin-bad-${process.pid}:` } } : {});
      try {
        assert.equal((await call(gateway, 'POST', '/admin/v1/robots', ci)).status, 201);
        const duplicate = await call(gateway, 'POST', '/admin/v1/robots', { ...ci, scope: [{ repositories: ['**'], actions: ['admin'] }] });
        assert.equal(duplicate.status, 409, duplicate.text);
        assert.match(duplicate.text, /already exists/);

        const bad: [string, unknown, RegExp][] = [
          ['no name', { ...ci, name: undefined }, /name/],
          ['a bad name', { ...ci, name: 'Has Spaces' }, /name: robot names/],
          ['an unknown action', { ...ci, name: 'x1', scope: [{ repositories: ['a/*'], actions: ['pull', 'fly'] }] }, /scope\[0\]\.actions\[1\]/],
          ['no repositories', { ...ci, name: 'x2', scope: [{ repositories: [], actions: ['pull'] }] }, /scope\[0\]\.repositories/],
          ['an empty scope', { ...ci, name: 'x3', scope: [] }, /scope/],
          ['an unreadable expiry', { ...ci, name: 'x4', expiresIn: 'soon' }, /expiresIn: must be a duration/],
          ['an expiry past maxTtl', { ...ci, name: 'x5', expiresIn: '91d' }, /expiresIn: must be at most auth\.robots\.maxTtl/],
          ['an unknown field', { ...ci, name: 'x6', admin: true }, /^admin: is not a known field$/],
          ['not JSON', '{"name": ', /JSON/],
        ];
        for (const [why, body, field] of bad) {
          const res = await call(gateway, 'POST', '/admin/v1/robots', body);
          assert.equal(res.status, 400, `${why}: ${res.text}`);
          const error = (res.json as { errors: { message: string }[] }).errors[0]!;
          assert.match(error.message, field, why);
        }
        const names = ((await call(gateway, 'GET', '/admin/v1/robots')).json as { robots: { name: string; scope: unknown }[] }).robots;
        assert.deepEqual(names.map((r) => [r.name, r.scope]), [['ci', ci.scope]]);
      } finally {
        await gateway.stop();
        dir.remove();
      }
    });
  });
}

test('robots in the file outlive a restart of the gateway', async () => {
  const dir = tempDir('robots-admin');
  try {
    let gateway = await startWith(dir.path);
    const created = await call(gateway, 'POST', '/admin/v1/robots', { ...ci, expiresIn: 3600 });
    assert.equal(created.status, 201, created.text);
    await gateway.stop();
    gateway = await startWith(dir.path);
    try {
      const robots = ((await call(gateway, 'GET', '/admin/v1/robots')).json as { robots: { name: string; expiresAt: string }[] }).robots;
      assert.deepEqual(robots.map((r) => [r.name, r.expiresAt]), [['ci', (created.json as CreatedAnswer).expiresAt]]);
    } finally {
      await gateway.stop();
    }
  } finally {
    dir.remove();
  }
});

test('without an auth section there is no robots API', async () => {
  const dir = tempDir('robots-admin');
  const gateway = await startGateway({ backends: { store: { type: 'local', path: join(dir.path, 'store') } }, routes: [{ prefix: '', backend: 'store' }] });
  try {
    assert.equal((await call(gateway, 'GET', '/admin/v1/robots')).status, 404);
  } finally {
    await gateway.stop();
    dir.remove();
  }
});
