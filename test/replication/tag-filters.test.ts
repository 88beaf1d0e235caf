import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { V2Client } from '../support/v2-client';
import { aToBConfig, tagsAt, waitForJobs } from './replication-fixtures';

const TAGS = ['latest', 'v1.0.0', '1.2.3', '1.3.0-rc.1', '2.0.0', 'release-7', 'release-7-debug', 'sha-abc'];

describe('tag filters: a manual run copies exactly the tags each rule takes', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    const rule = (name: string, tags: Record<string, unknown>): Record<string, unknown> => ({
      name, source: { backend: 'a', repositories: ['team/app'], tags }, destinations: [{ backend: 'b', repository: `${name}/{name}` }], triggers: ['manual'],
    });
    gateway = await startGateway(aToBConfig(redis.url, a.url, b.url, {
      workers: 'inline',
      rules: [
        rule('glob', { include: ['release-*'], exclude: ['*-debug'] }),
        rule('regex', { regex: 'sha-[a-f0-9]+|latest' }),
        rule('semver', { semver: '>=1.0.0 <2' }),
      ],
    }));
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('glob with exclude, regex, semver range', async () => {
    const source = new V2Client(a.url);
    for (const tag of TAGS) await source.pushImage('team/app', tag);
    for (const name of ['glob', 'regex', 'semver']) {
      const res = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify({ rule: name, repository: 'team/app' }) });
      assert.equal(res.status, 202, await res.text());
    }
    await waitForJobs(gateway.url, 'completed', 5);
    assert.deepEqual(await tagsAt(b.url, 'glob/team/app'), ['release-7']);
    assert.deepEqual((await tagsAt(b.url, 'regex/team/app')).sort(), ['latest', 'sha-abc']);
    assert.deepEqual((await tagsAt(b.url, 'semver/team/app')).sort(), ['1.2.3', 'v1.0.0']);
  });

  test('a run for an unknown rule or a repository outside the rule is refused', async () => {
    const post = (body: unknown): Promise<Response> => fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await post({ rule: 'nope' })).status, 404);
    assert.equal((await post({ rule: 'glob', repository: 'other/app' })).status, 400);
    assert.equal((await post({})).status, 400);
  });
});
