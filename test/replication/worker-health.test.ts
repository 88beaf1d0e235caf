import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { Scrape } from '../support/prometheus-text';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import { aToBConfig } from './replication-fixtures';

interface Health {
  status: number;
  body: { healthy: boolean; workers: string; redisSilentSeconds: number };
}

async function healthOf(worker: WorkerProcess): Promise<Health> {
  const res = await fetch(`${worker.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

describe('a worker process\'s /healthz follows Redis; the gateway\'s scrape survives the outage', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;
  let worker: WorkerProcess;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    const config = aToBConfig(redis.url, a.url, b.url, {
      // Short, so that the test outlasts it without a long wait.
      workerHealthWindow: '2s',
      rules: [{ name: 'copy-out', source: { backend: 'a', repositories: ['team/**'] }, destinations: [{ backend: 'b' }], triggers: ['on-push'] }],
    });
    gateway = await startGateway(config);
    worker = await startWorker(config);
  });
  after(async () => {
    await worker?.stop();
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('200 while running; 503 once Redis has been gone past the window; 200 again when it is back', async () => {
    const healthy = await healthOf(worker);
    assert.equal(healthy.status, 200, JSON.stringify(healthy.body));
    assert.equal(healthy.body.workers, 'running');
    assert.equal((await fetch(`${worker.url}/nothing`)).status, 404);

    await redis.kill();
    let last: Health | undefined;
    await waitFor('/healthz 503 after Redis is gone', async () => (last = await healthOf(worker)).status === 503);
    assert.equal(last!.body.healthy, false);
    assert.equal(last!.body.workers, 'running', 'the workers wait for Redis; only Redis is missing');
    assert.ok(last!.body.redisSilentSeconds >= 2, JSON.stringify(last!.body));

    // The gateway's scrape still answers: the queue counts are left out and marked.
    const scrape = await (async () => {
      let s: Scrape | undefined;
      await waitFor('queue_up 0', async () => (s = await Scrape.of(gateway.url)).value('gantry_replication_queue_up', {}) === 0);
      return s!;
    })();
    assert.equal(scrape.samples.filter((s) => s.name === 'gantry_replication_queue_jobs').length, 0);

    await redis.restart();
    await waitFor('/healthz 200 with Redis back', async () => (await healthOf(worker)).status === 200);
    await waitFor('queue_up 1', async () => (await Scrape.of(gateway.url)).value('gantry_replication_queue_up', {}) === 1);
  });
});
