import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basic, startAuthGateway, usersConfig, type AuthGateway } from '../access/access-fixtures';
import { Scrape } from '../support/prometheus-text';

/** Every access decision the audit log records is counted, by event and result. */
describe('gantry_auth_decisions_total', () => {
  let auth: AuthGateway;
  before(async () => {
    auth = await startAuthGateway({
      users: usersConfig({ alice: ['dev'] }),
      rules: [{ name: 'dev', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull'] }],
    });
  });
  after(async () => {
    await auth?.stop();
  });

  test('counts allowed and denied requests, and failed logins, exactly', async () => {
    const url = auth.gateway.url;
    const start = await Scrape.of(url);
    const get = async (path: string, authorization?: string): Promise<number> => {
      const res = await fetch(`${url}${path}`, { headers: authorization ? { authorization } : {} });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await get('/v2/team/app/tags/list', basic('alice')), 404, 'allowed, and nothing there');
    assert.equal(await get('/v2/other/app/tags/list', basic('alice')), 403);
    assert.equal(await get('/v2/team/app/tags/list', basic('bob')), 403);
    assert.equal(await get('/v2/team/app/tags/list', `Basic ${Buffer.from('alice:wrong').toString('base64')}`), 401);
    const end = await Scrape.of(url);
    const decisions = (result: string) => end.delta(start, 'gantry_auth_decisions_total', { event: 'request', result });
    assert.equal(decisions('allow'), 1);
    assert.equal(decisions('deny'), 3);
    for (const sample of end.samples.filter((s) => s.name === 'gantry_auth_decisions_total')) {
      assert.deepEqual(Object.keys(sample.labels).sort(), ['event', 'result'], 'no subject or repository in the labels');
    }
  });
});
