import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { assertOciError, V2Client } from '../support/v2-client';
import { listJobs, rawManifest, registryBackend, waitForJobs } from './replication-fixtures';

describe('a destination that is down: retries with backoff, then a visible failure; retry once it is back', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let front: CountingFront;
  let gateway: GatewayProcess;

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    front = await startCountingFront(b.url);
    gateway = await startGateway({
      redis: { url: redis.url },
      // No circuit breaker: every attempt reaches the destination, and it is usable the moment it is back.
      backends: { a: registryBackend(a.url), b: { ...registryBackend(front.url), circuitBreaker: { failures: 0 } } },
      routes: [{ prefix: '', backend: 'a' }],
      replication: {
        workers: 'inline',
        attempts: 3,
        backoff: '100ms',
        rules: [{ name: 'a-to-b', source: { backend: 'a', repositories: ['**'] }, destinations: [{ backend: 'b' }] }],
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await front?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
  });

  test('failed after its attempts with the error, then retried to completion', async () => {
    const client = new V2Client(gateway.url);
    // A first copy while B is up: the backend knows B's auth challenge (a failed discovery is
    // remembered for a few seconds, which would outlast this test's backoff).
    await client.pushImage('team/warmup', 'v1');
    await waitForJobs(gateway.url, 'completed', 1);
    front.mode = 'fail-500';
    const { manifest } = await client.pushImage('team/app', 'v1');

    const [failed] = await waitForJobs(gateway.url, 'failed', 1);
    assert.equal(failed!.attemptsMade, 3, JSON.stringify(failed));
    assert.ok(failed!.failedReason, 'the error is kept');
    assert.equal(failed!.digest, manifest.digest);
    const retryLines = logLines(gateway.logs).filter((l) => l.msg === 'replication copy failed; will retry');
    assert.equal(retryLines.length, 2, 'two retries before the last attempt');
    await waitFor('failed audit line', async () => logLines(gateway.logs).some((l) => l.audit && l.event === 'replication' && l.decision === 'failed'));

    // A job that has not failed cannot be retried; an unknown one is 404.
    await assertOciError(await fetch(`${gateway.url}/admin/v1/replication/jobs/nope/retry`, { method: 'POST' }), 404, 'NAME_UNKNOWN');

    front.mode = 'relay';
    const res = await fetch(`${gateway.url}/admin/v1/replication/jobs/${failed!.id}/retry`, { method: 'POST' });
    assert.equal(res.status, 202, await res.text());
    const completed = await waitForJobs(gateway.url, 'completed', 2);
    assert.ok(completed.some((j) => j.id === failed!.id));
    assert.equal(await rawManifest(b.host, 'team/app:v1'), manifest.bytes.toString());
    assert.equal((await listJobs(gateway.url, 'state=failed')).length, 0);
    await assertOciError(await fetch(`${gateway.url}/admin/v1/replication/jobs/${failed!.id}/retry`, { method: 'POST' }), 409, 'UNSUPPORTED');
  });

  test('a failed job can be deleted (cancelled); bad filters are refused', async () => {
    front.mode = 'fail-500';
    const client = new V2Client(gateway.url);
    await client.pushImage('team/other', 'v1');
    const failed = (await waitForJobs(gateway.url, 'failed', 1)).find((j) => j.source.repository === 'team/other')!;
    const res = await fetch(`${gateway.url}/admin/v1/replication/jobs/${failed.id}`, { method: 'DELETE' });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    assert.deepEqual(JSON.parse(text), { id: failed.id, outcome: 'removed' });
    assert.equal((await listJobs(gateway.url, 'state=failed')).length, 0);
    await assertOciError(await fetch(`${gateway.url}/admin/v1/replication/jobs?state=bogus`), 400, 'UNSUPPORTED');
    assert.equal((await listJobs(gateway.url, 'rule=someother')).length, 0);
    front.mode = 'relay';
  });

  test('a new trigger of a failed job runs it again', async () => {
    front.mode = 'fail-500';
    const client = new V2Client(gateway.url);
    const { manifest } = await client.pushImage('team/again', 'v1');
    const failed = (await waitForJobs(gateway.url, 'failed', 1)).find((j) => j.source.repository === 'team/again')!;
    front.mode = 'relay';
    assert.equal((await client.pushManifest('team/again', 'v1', manifest)).status, 201);
    await waitFor('the job completed', async () => (await listJobs(gateway.url, 'state=completed')).some((j) => j.id === failed.id));
    assert.equal(await rawManifest(b.host, 'team/again:v1'), manifest.bytes.toString());
  });
});
