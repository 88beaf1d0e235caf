import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basic, startAuthGateway, type AuthGateway } from '../access/access-fixtures';

/** The dashboard's files and admin endpoints over HTTP: who may read them, what they answer. */
describe('/ui files and the dashboard admin endpoints', () => {
  let auth: AuthGateway;
  let url: string;

  before(async () => {
    auth = await startAuthGateway({ rules: [{ name: 'operators', subjects: ['user:alice'], repositories: ['**'], actions: ['admin', 'pull', 'push'] }] });
    url = auth.gateway.url;
  });
  after(async () => {
    await auth?.stop();
  });

  test('the page and its files are public, under a strict CSP; nothing else is served from /ui', async () => {
    for (const path of ['/ui', '/ui/dashboard.js', '/ui/view.js', '/ui/dashboard.css', '/ui/vendor/uPlot.esm.js']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/, path);
      await res.arrayBuffer();
    }
    assert.match((await fetch(`${url}/ui/api.js`)).headers.get('content-type') ?? '', /^text\/javascript/);
    assert.deepEqual(await (await fetch(`${url}/ui/settings.json`)).json(), { auth: true, replication: false });
    for (const path of ['/ui/nope.js', '/ui/..%2Fpackage.json', '/ui/vendor/uPlot.cjs.js']) assert.equal((await fetch(`${url}${path}`)).status, 404, path);
  });

  test('the endpoints need the admin action', async () => {
    for (const path of ['/admin/v1/stats/history', '/admin/v1/access/denials']) {
      assert.equal((await fetch(`${url}${path}`)).status, 401, path);
      assert.equal((await fetch(`${url}${path}`, { headers: { authorization: basic('bob') } })).status, 403, path);
    }
  });

  test('traffic history counts registry requests, not the admin API', async () => {
    for (let i = 0; i < 4; i++) await (await fetch(`${url}/v2/`, { headers: { authorization: basic('alice') } })).arrayBuffer();
    const res = await fetch(`${url}/admin/v1/stats/history`, { headers: { authorization: basic('alice') } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { intervalSeconds: number; samples: { time: string; requestsPerSecond: number; cacheHitRatio: number | null }[] };
    assert.equal(body.intervalSeconds, 10);
    const last = body.samples.at(-1)!;
    assert.ok(last.requestsPerSecond > 0, JSON.stringify(body));
    assert.ok(Date.parse(last.time) > 0);
  });

  test('denials: newest first with their reasons, bounded by limit', async () => {
    assert.equal((await fetch(`${url}/token`, { headers: { authorization: 'Basic ' + Buffer.from('mallory:guess').toString('base64') } })).status, 401);
    assert.equal((await fetch(`${url}/v2/team/app/manifests/v1`, { headers: { authorization: basic('carol') } })).status, 403);
    const res = await fetch(`${url}/admin/v1/access/denials?limit=2`, { headers: { authorization: basic('alice') } });
    assert.equal(res.status, 200);
    const { denials } = (await res.json()) as { denials: { subject: string; action?: string; repository?: string; reason?: string; time: string }[] };
    assert.equal(denials.length, 2);
    assert.equal(denials[0]!.subject, 'user:carol');
    assert.equal(denials[0]!.repository, 'team/app');
    assert.equal(denials[0]!.action, 'pull');
    assert.ok(denials[0]!.reason);
    assert.equal(denials[1]!.subject, 'user:mallory');
    assert.ok(denials[1]!.reason);
    assert.ok(!JSON.stringify(denials).includes('guess'), 'no password in a denial');
    for (const limit of ['0', '101', 'x']) {
      assert.equal((await fetch(`${url}/admin/v1/access/denials?limit=${limit}`, { headers: { authorization: basic('alice') } })).status, 400, limit);
    }
  });
});
