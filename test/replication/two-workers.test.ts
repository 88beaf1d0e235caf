import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { V2Client } from '../support/v2-client';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import { registryBackend, waitForJobs } from './replication-fixtures';

const IMAGES = 50;

describe('two worker processes, 50 images enqueued twice each: every image copied exactly once', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let front: CountingFront;
  let gateway: GatewayProcess;
  let workers: WorkerProcess[] = [];
  let config: Record<string, unknown>;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    front = await startCountingFront(b.url);
    config = {
      redis: { url: redis.url },
      backends: { a: registryBackend(a.url), b: registryBackend(front.url) },
      routes: [{ prefix: '', backend: 'a' }],
      replication: {
        workers: 'external',
        concurrency: 4,
        rules: [{ name: 'many', source: { backend: 'a', repositories: ['team/many'] }, destinations: [{ backend: 'b' }], triggers: ['manual'] }],
      },
    };
    gateway = await startGateway(config);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await gateway?.stop();
    await front?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('each tag is accepted at the destination once, a second put only after a failed attempt; the completions add up to 50 over both workers', async () => {
    // Straight into the source, as another client of A would: no on-push, the manual runs enqueue.
    const source = new V2Client(a.url);
    const digests = new Map<string, string>();
    for (let i = 0; i < IMAGES; i++) digests.set(`img-${i}`, (await source.pushImage('team/many', `img-${i}`)).manifest.digest);

    const run = async (): Promise<string[]> => {
      const res = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rule: 'many' }) });
      const text = await res.text();
      assert.equal(res.status, 202, text);
      return (JSON.parse(text) as { jobs: string[] }).jobs;
    };
    const first = await run();
    workers = await Promise.all([startWorker(config), startWorker(config)]);
    // The second run races the workers: some jobs are waiting, some active, some done.
    const second = await run();
    assert.equal(first.length, IMAGES);
    assert.deepEqual([...second].sort(), [...first].sort(), 'the same job ids: one job per image and destination');

    const completed = await waitForJobs(gateway.url, 'completed', IMAGES, 120_000);
    assert.equal(completed.length, IMAGES);
    // distribution 2.8 sometimes refuses a manifest while another copy links the same config blob
    // (400 DIGEST_INVALID): that attempt fails and is retried, and the retry puts the tag again. So
    // the destination accepts each tag once, and any further put follows a refused one.
    const lines = workers.flatMap((w) => logLines(w.logs));
    const retried = (tag: string): number => lines.filter((l) => l.msg === 'replication copy failed; will retry' && l.tag === tag).length;
    for (const [tag, digest] of digests) {
      const path = `/v2/team/many/manifests/${tag}`;
      assert.equal(front.answered('PUT', path, 201), 1, `${tag} accepted once`);
      const extra = front.count('PUT', path) - 1;
      assert.ok(extra <= retried(tag), `${tag} put ${extra + 1} times after ${retried(tag)} failed attempts`);
      assert.equal(completed.find((j) => j.tag === tag)?.digest, digest);
    }
    const completions = workers.map((w) => logLines(w.logs).filter((l) => l.msg === 'replication copy completed').length);
    assert.equal(completions[0]! + completions[1]!, IMAGES, `completions per worker: ${completions.join(', ')}`);
  });
});
