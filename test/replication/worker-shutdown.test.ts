import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { sha256, V2Client } from '../support/v2-client';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import { type HoldingSource, startHoldingSource } from './holding-source';
import { aToBConfig, listJobs, waitForJobs } from './replication-fixtures';

const MiB = 1024 * 1024;
const UPLOAD_PATCH = /^\/v2\/team\/big\/blobs\/uploads\//;

describe('SIGTERM of a worker mid-copy: the copy is handed back to the queue and another worker continues it', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let front: CountingFront;
  let source: HoldingSource;
  let gateway: GatewayProcess;
  const workers: WorkerProcess[] = [];
  let config: Record<string, unknown>;
  const layer = { bytes: randomBytes(64 * MiB), digest: '' };
  layer.digest = sha256(layer.bytes);

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    front = await startCountingFront(b.url);
    source = await startHoldingSource(a.url, `/v2/team/big/blobs/${layer.digest}`, 2);
    config = aToBConfig(
      redis.url,
      source.url,
      front.url,
      { chunkThreshold: '8MiB', chunkSize: '8MiB', rules: [{ name: 'big', source: { backend: 'a', repositories: ['team/big'] }, destinations: [{ backend: 'b' }], triggers: ['manual'] }] },
      // No grace: running copies are handed back at once.
      { server: { shutdownGraceSeconds: 0 } },
    );
    gateway = await startGateway(config);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await gateway?.stop();
    await Promise.all([front?.stop(), source?.stop()]);
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('the first worker exits 0, the job waits (not failed, not stalled), the second completes it from where it stood', async () => {
    const client = new V2Client(a.url);
    await client.pushImage('team/big', 'v1', layer);

    workers.push(await startWorker(config));
    const res = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify({ rule: 'big' }) });
    assert.equal(res.status, 202, await res.text());
    await waitFor('the third chunk read', async () => source.reads() >= 3);

    const first = workers[0]!;
    const exit = first.stop('SIGTERM');
    await waitFor('shutdown begun', async () => logLines(first.logs).some((l) => l.msg === 'worker shutting down: finishing running copies'));
    // The held read is answered: the chunk lands, and the abort is seen before the next one.
    source.release('answer');
    assert.equal(await exit, 0, first.logs.join(''));
    const [job] = await listJobs(gateway.url);
    assert.equal(job!.state, 'waiting', JSON.stringify(job));
    assert.equal(job!.failedReason, undefined);

    workers.push(await startWorker(config));
    await waitForJobs(gateway.url, 'completed', 1);
    const head = await fetch(`${b.url}/v2/team/big/blobs/${layer.digest}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    // Eight chunks of 8 MiB; the one in flight at the abort may have begun and been given up (from byte 0 it would be 8 more).
    const chunks = front.countMatching('PATCH', UPLOAD_PATCH);
    assert.ok(chunks === 8 || chunks === 9, `chunks sent: ${chunks}`);
    assert.equal(front.countMatching('POST', /^\/v2\/team\/big\/blobs\/uploads\/$/), 2, 'the layer upload session was continued');
  });
});
