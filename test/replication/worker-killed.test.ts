import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { sha256, V2Client } from '../support/v2-client';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import { startHoldingSource } from './holding-source';
import { aToBConfig, waitForJobs } from './replication-fixtures';

const MiB = 1024 * 1024;
const LAYER = 256 * MiB;
const CHUNK = 16 * MiB;
const CHUNKS = LAYER / CHUNK;
const UPLOAD_PATCH = /^\/v2\/team\/big\/blobs\/uploads\//;

describe('kill -9 of a worker in the middle of a 256 MiB layer', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let front: CountingFront;
  let source: Awaited<ReturnType<typeof startHoldingSource>>;
  let gateway: GatewayProcess;
  const workers: WorkerProcess[] = [];
  let config: Record<string, unknown>;
  const layer = { bytes: randomBytes(LAYER), digest: '' };
  layer.digest = sha256(layer.bytes);

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    front = await startCountingFront(b.url);
    source = await startHoldingSource(a.url, `/v2/team/big/blobs/${layer.digest}`, 4);
    config = aToBConfig(redis.url, source.url, front.url, {
      chunkThreshold: '16MiB',
      chunkSize: '16MiB',
      rules: [{ name: 'big', source: { backend: 'a', repositories: ['team/big'] }, destinations: [{ backend: 'b' }], triggers: ['manual'] }],
    });
    gateway = await startGateway(config);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await gateway?.stop();
    await Promise.all([front?.stop(), source?.stop()]);
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('another worker completes the job, continuing the upload where the destination stands', { timeout: 240_000 }, async () => {
    const client = new V2Client(a.url);
    const { manifest } = await client.pushImage('team/big', 'v1', layer);

    workers.push(await startWorker(config));
    const res = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', body: JSON.stringify({ rule: 'big' }) });
    assert.equal(res.status, 202, await res.text());

    // Four chunks are at the destination (their resume state saved) and the fifth is being read: kill -9.
    await waitFor('the fifth chunk read', async () => source.reads() >= 5, 120_000);
    const chunksBeforeKill = front.countMatching('PATCH', UPLOAD_PATCH);
    // The fifth PATCH may have begun, with no byte of its body yet.
    assert.ok(chunksBeforeKill === 4 || chunksBeforeKill === 5, `chunks before the kill: ${chunksBeforeKill}`);
    process.kill(workers[0]!.pid, 'SIGKILL');
    await workers[0]!.stop();
    source.release();

    // BullMQ notices the stalled job (its lock expires) and the second worker takes it.
    workers.push(await startWorker(config));
    const [job] = await waitForJobs(gateway.url, 'completed', 1, 180_000);
    assert.equal(job!.digest, manifest.digest);

    const head = await fetch(`${b.url}/v2/team/big/blobs/${layer.digest}`, { method: 'HEAD' });
    assert.equal(head.status, 200, 'the destination holds the layer (distribution checked its digest)');
    assert.equal(Number(head.headers.get('content-length')), LAYER);
    // From byte 0 again it would take 16 more chunks; continuing, the 12 that were missing.
    const chunks = front.countMatching('PATCH', UPLOAD_PATCH);
    assert.equal(chunks - chunksBeforeKill, CHUNKS - 4, `chunks sent: ${chunks}, ${chunksBeforeKill} before the kill\n${workers[1]!.logs.join('')}`);
    assert.equal(front.countMatching('POST', /^\/v2\/team\/big\/blobs\/uploads\/$/), 2, 'one session for the config, one for the layer, none started again');
  });
});
