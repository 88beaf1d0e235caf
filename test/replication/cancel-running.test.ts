import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { imageManifest, sha256, V2Client } from '../support/v2-client';
import { type HoldingSource, startHoldingSource } from './holding-source';
import { registryBackend, waitForJobs } from './replication-fixtures';

const MiB = 1024 * 1024;

describe('DELETE of a running job: its worker aborts the copy and keeps it as failed, without retries', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let source: HoldingSource;
  let gateway: GatewayProcess;
  const layer = { bytes: randomBytes(32 * MiB), digest: '' };
  layer.digest = sha256(layer.bytes);

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    source = await startHoldingSource(a.url, `/v2/team/big/blobs/${layer.digest}`, 1);
    gateway = await startGateway({
      redis: { url: redis.url },
      backends: { a: registryBackend(source.url), b: registryBackend(b.url) },
      routes: [{ prefix: '', backend: 'a' }],
      replication: {
        workers: 'inline',
        chunkThreshold: '8MiB',
        chunkSize: '8MiB',
        rules: [{ name: 'big', source: { backend: 'a', repositories: ['team/big'] }, destinations: [{ backend: 'b' }], triggers: ['manual'] }],
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await source?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('cancelled while a chunk is held', async () => {
    const client = new V2Client(a.url);
    const imageConfig = { bytes: Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'), digest: '' };
    imageConfig.digest = sha256(imageConfig.bytes);
    await client.pushBlob('team/big', imageConfig);
    await client.pushBlob('team/big', layer);
    assert.equal((await client.pushManifest('team/big', 'v1', imageManifest(imageConfig, [layer]))).status, 201);
    const run = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify({ rule: 'big' }) });
    const [id] = ((await run.json()) as { jobs: string[] }).jobs;
    await waitFor('the second chunk read', async () => source.reads() >= 2);

    const res = await fetch(`${gateway.url}/admin/v1/replication/jobs/${id}`, { method: 'DELETE' });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    assert.deepEqual(JSON.parse(text), { id, outcome: 'cancelling' });
    await waitFor('the cancel reached the worker', async () => logLines(gateway.logs).some((l) => l.msg === 'replication copy cancelled'));
    source.release('answer');

    const [failed] = await waitForJobs(gateway.url, 'failed', 1);
    assert.equal(failed!.id, id);
    assert.equal(failed!.failedReason, 'cancelled by an operator');
    assert.equal(failed!.attemptsMade, 1, 'no retry after a cancel');
    assert.ok(logLines(gateway.logs).some((l) => l.audit && l.event === 'replication' && l.decision === 'failed'));
  });
});
