import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QUEUE_STATES } from '#replication';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { Scrape } from '../support/prometheus-text';
import { startRedis, type RedisProcess } from '../support/redis';
import { freePort, waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import { aToBConfig, registryBackend, waitForJobs } from '../replication/replication-fixtures';

const REPLICATION_LABELS = new Set(['source', 'destination', 'result', 'state', 'rule']);

/** Replication series name only backends from the config and fixed words: never a repository, tag or digest. */
function assertBoundedLabels(scrape: Scrape, backends: readonly string[]): void {
  const words = new Set([...backends, 'completed', 'failed', 'queued', 'retried', 'skipped', 'copy-out',
    'waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'paused']);
  const series = scrape.samples.filter((s) => s.name.startsWith('gantry_replication_'));
  assert.ok(series.length > 0, 'replication series present');
  for (const s of series) {
    for (const [label, value] of Object.entries(s.labels)) {
      assert.ok(REPLICATION_LABELS.has(label), `${s.name}: label ${label}`);
      assert.ok(words.has(value), `${s.name}{${label}="${value}"}: not a backend, rule or state`);
    }
  }
}

/** Waits for the gateway's scrape to satisfy `ok` (the queue counts are reused for a few seconds). */
async function scrapeUntil(url: string, what: string, ok: (s: Scrape) => boolean): Promise<Scrape> {
  let last: Scrape | undefined;
  try {
    await waitFor(what, async () => ok((last = await Scrape.of(url))));
  } catch (err) {
    const lines = last?.samples.filter((s) => s.name.startsWith('gantry_replication_')).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`);
    throw new Error(`${(err as Error).message}; last scrape:\n${lines?.join('\n')}`, { cause: err });
  }
  return last!;
}

describe('replication metrics with inline workers: the gateway counts its copies and the queues', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    gateway = await startGateway({
      redis: { url: redis.url },
      // `dead`: nothing listens there; its copy fails on its only attempt.
      backends: { a: registryBackend(a.url), b: registryBackend(b.url), dead: registryBackend(`http://127.0.0.1:${await freePort()}`) },
      routes: [{ prefix: '', backend: 'a' }],
      replication: {
        workers: 'inline',
        attempts: 1,
        rules: [{ name: 'copy-out', source: { backend: 'a', repositories: ['team/**'] }, destinations: [{ backend: 'b' }, { backend: 'dead' }], triggers: ['on-push'] }],
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('bytes copied are the image\'s blob bytes; copies by result; job counts by destination and state', async () => {
    const image = await new V2Client(gateway.url).pushImage('team/app', 'v1');
    await waitForJobs(gateway.url, 'completed', 1);
    await waitForJobs(gateway.url, 'failed', 1);

    const scrape = await scrapeUntil(gateway.url, 'job counts: b completed 1, dead failed 1', (s) =>
      s.value('gantry_replication_queue_jobs', { destination: 'b', state: 'completed' }) === 1 &&
      s.value('gantry_replication_queue_jobs', { destination: 'dead', state: 'failed' }) === 1);
    assert.equal(scrape.value('gantry_replication_copied_bytes_total', { source: 'a', destination: 'b' }), image.config.bytes.length + image.layer.bytes.length);
    assert.equal(scrape.value('gantry_replication_copies_total', { source: 'a', destination: 'b', result: 'completed' }), 1);
    assert.equal(scrape.value('gantry_replication_copies_total', { source: 'a', destination: 'dead', result: 'failed' }), 1);
    assert.equal(scrape.value('gantry_replication_copied_bytes_total', { destination: 'dead' }), 0);
    const statesOfB = scrape.samples.filter((x) => x.name === 'gantry_replication_queue_jobs' && x.labels.destination === 'b').map((x) => x.labels.state);
    assert.deepEqual(statesOfB.sort(), [...QUEUE_STATES].sort(), 'every state, zeros included');
    assert.equal(scrape.value('gantry_replication_queue_jobs', { destination: 'b', state: 'active' }), 0);
    assert.equal(scrape.value('gantry_replication_queue_jobs', { destination: 'b', state: 'waiting' }), 0);
    assert.equal(scrape.value('gantry_replication_queue_up', {}), 1);
    assert.equal(scrape.value('gantry_replication_jobs_total', { rule: 'copy-out', state: 'completed' }), 1);
    assertBoundedLabels(scrape, ['a', 'b', 'dead']);
  });
});

describe('replication metrics with a worker process: it counts its copies, the gateway the queues', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;
  let worker: WorkerProcess;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    const config = aToBConfig(redis.url, a.url, b.url, {
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

  test('the worker\'s /metrics has the bytes copied; the gateway\'s has the job states and no copies of its own', async () => {
    const image = await new V2Client(gateway.url).pushImage('team/app', 'v1');
    await waitForJobs(gateway.url, 'completed', 1);

    const atWorker = await scrapeUntil(worker.url, 'the worker counted the copy', (s) =>
      s.value('gantry_replication_copies_total', { result: 'completed' }) === 1);
    assert.equal(atWorker.value('gantry_replication_copied_bytes_total', { source: 'a', destination: 'b' }), image.config.bytes.length + image.layer.bytes.length);
    assert.ok(atWorker.value('process_cpu_user_seconds_total', {}) > 0, 'process metrics at the worker');
    assert.equal(atWorker.samples.filter((s) => s.name === 'gantry_replication_queue_jobs').length, 0, 'the queues are the gateway\'s to count');
    assertBoundedLabels(atWorker, ['a', 'b']);

    const atGateway = await scrapeUntil(gateway.url, 'the gateway sees the completed job', (s) =>
      s.value('gantry_replication_queue_jobs', { destination: 'b', state: 'completed' }) === 1);
    assert.equal(atGateway.value('gantry_replication_copied_bytes_total', {}), 0, 'the gateway copied nothing itself');
    assertBoundedLabels(atGateway, ['a', 'b']);
  });
});
