import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { imageManifest, randomBlob, V2Client } from '../support/v2-client';
import { aToBConfig, tagsAt } from './replication-fixtures';

describe('Redis away during a push: the push succeeds, the copies are enqueued once Redis is back', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    gateway = await startGateway(aToBConfig(redis.url, a.url, b.url, {
      workers: 'inline',
      rules: [{ name: 'a-to-b', source: { backend: 'a', repositories: ['**'] }, destinations: [{ backend: 'b' }] }],
    }));
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('201 for the manifest, a warning, and the copy after Redis returns', async () => {
    const client = new V2Client(gateway.url);
    const config = randomBlob(200);
    const layer = randomBlob(4096);
    await client.pushBlob('team/app', config);
    await client.pushBlob('team/app', layer);
    await redis.kill();

    const res = await client.pushManifest('team/app', 'v1', imageManifest(config, [layer]));
    assert.equal(res.status, 201, await res.text());
    await waitFor('the warning', async () => logLines(gateway.logs).some((l) => l.msg === 'replication: could not enqueue the copies of a push'));

    await redis.restart();
    await waitFor('the copy once Redis is back', async () => (await tagsAt(b.url, 'team/app')).includes('v1'));
  });
});
