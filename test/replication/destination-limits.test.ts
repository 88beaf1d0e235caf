import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { V2Client } from '../support/v2-client';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import { aToBConfig, listJobs, waitForJobs } from './replication-fixtures';

const IMAGES = 8;

describe('a destination with concurrency 1: one copy at a time over all workers', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;
  let workers: WorkerProcess[] = [];
  let config: Record<string, unknown>;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    config = aToBConfig(redis.url, a.url, b.url, {
      concurrency: 4,
      rules: [{ name: 'one-at-a-time', source: { backend: 'a', repositories: ['team/app'] }, destinations: [{ backend: 'b', concurrency: 1 }], triggers: ['manual'] }],
    });
    gateway = await startGateway(config);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('no two copies to the destination overlap, though two workers of 4 could run 8', async () => {
    const source = new V2Client(a.url);
    for (let i = 0; i < IMAGES; i++) await source.pushImage('team/app', `v${i}`);
    workers = await Promise.all([startWorker(config), startWorker(config)]);
    const res = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify({ rule: 'one-at-a-time' }) });
    assert.equal(res.status, 202, await res.text());
    const jobs = await waitForJobs(gateway.url, 'completed', IMAGES);
    const spans = jobs.map((j) => [Date.parse(j.startedAt!), Date.parse(j.finishedAt!)] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) {
      assert.ok(spans[i]![0] >= spans[i - 1]![1], `copy ${i} started before copy ${i - 1} finished: ${JSON.stringify(spans)}`);
    }
  });
});

describe('a destination with perMinute 2: no more copies start in a minute, however many are queued', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;
  let worker: WorkerProcess | undefined;
  let config: Record<string, unknown>;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    config = aToBConfig(redis.url, a.url, b.url, {
      concurrency: 4,
      rules: [{ name: 'budget', source: { backend: 'a', repositories: ['team/app'] }, destinations: [{ backend: 'b', perMinute: 2 }], triggers: ['manual'] }],
    });
    gateway = await startGateway(config);
  });
  after(async () => {
    await worker?.stop();
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('two of four copies run at once; the other two wait for the next minute', async () => {
    const source = new V2Client(a.url);
    for (let i = 0; i < 4; i++) await source.pushImage('team/app', `v${i}`);
    worker = await startWorker(config);
    const res = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify({ rule: 'budget' }) });
    assert.equal(res.status, 202, await res.text());
    await waitForJobs(gateway.url, 'completed', 2);
    // Unlimited, the other two would finish within a second or two of the first (a copy of a
    // small image takes well under one); held by the budget, none of them starts.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const started = [...(await listJobs(gateway.url, 'state=completed')), ...(await listJobs(gateway.url, 'state=active'))];
    assert.equal(started.length, 2, JSON.stringify(await listJobs(gateway.url)));
  });
});
