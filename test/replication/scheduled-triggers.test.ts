import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';
import { listJobs, rawManifest, registryBackend, tagsAt } from './replication-fixtures';

describe('cron and reconcile triggers copy what was pushed straight to the source, behind the gateway', () => {
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let c: Distribution;
  let gateway: GatewayProcess;

  before(async () => {
    [redis, a, b, c] = await Promise.all([startRedis(), startDistribution(), startDistribution(), startDistribution()]);
    gateway = await startGateway({
      redis: { url: redis.url },
      backends: { a: registryBackend(a.url), b: registryBackend(b.url), c: registryBackend(c.url) },
      routes: [{ prefix: '', backend: 'a' }],
      replication: {
        workers: 'inline',
        reconcileInterval: '1s',
        rules: [
          // Every second (six-field cron): everything under cron/.
          { name: 'every-second', source: { backend: 'a', repositories: ['cron/**'] }, destinations: [{ backend: 'b' }], triggers: [{ cron: '* * * * * *' }] },
          // Reconcile, found through A's catalog; only release tags.
          {
            name: 'reconciled',
            source: { backend: 'a', repositories: ['rec/**'], tags: { include: ['release-*'] } },
            destinations: [{ backend: 'c', repository: 'copy/{name}' }],
            triggers: ['reconcile'],
          },
        ],
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), redis?.stop()]);
  });

  test('cron: an image pushed directly to A appears in B', async () => {
    const { manifest } = await new V2Client(a.url).pushImage('cron/app', 'v1');
    await waitFor('cron copy', async () => (await tagsAt(b.url, 'cron/app')).includes('v1'));
    assert.equal(await rawManifest(b.host, 'cron/app:v1'), manifest.bytes.toString());
    const jobs = (await listJobs(gateway.url, 'rule=every-second')).filter((j) => j.tag === 'v1');
    assert.equal(jobs[0]?.trigger, 'cron');
  });

  test('reconcile: a new tag and then a tag moved to a new digest are copied; other tags are not', async () => {
    const source = new V2Client(a.url);
    const first = await source.pushImage('rec/app', 'release-1');
    await source.pushImage('rec/app', 'dev');
    await waitFor('reconcile copy', async () => (await tagsAt(c.url, 'copy/rec/app')).includes('release-1'));
    assert.equal(await rawManifest(c.host, 'copy/rec/app:release-1'), first.manifest.bytes.toString());

    // The tag now points at another image, pushed to A directly (as to ECR behind Gantry's back).
    const moved = await source.pushImage('rec/app', 'release-1');
    await waitFor('reconcile of the moved tag', async () => (await rawManifest(c.host, 'copy/rec/app:release-1')) === moved.manifest.bytes.toString());
    const jobs = await listJobs(gateway.url, 'rule=reconciled');
    assert.deepEqual(jobs.map((j) => j.digest).sort(), [first.manifest.digest, moved.manifest.digest].sort());
    assert.ok(jobs.every((j) => j.trigger === 'reconcile' && j.tag === 'release-1'));
    assert.deepEqual(await tagsAt(c.url, 'copy/rec/app'), ['release-1'], 'dev is filtered out');
  });
});
