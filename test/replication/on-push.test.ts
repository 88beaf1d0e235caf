import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cosignKeyPair, cosignSign, overHttp } from '../support/cosign';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { describe as descriptorOf } from '../support/oci-image';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir, waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';
import { listJobs, pushMultiArch, rawManifest, registryBackend, waitForJobs } from './replication-fixtures';

describe('on-push replication: a push through the gateway to A arrives in B and C', () => {
  const dir = tempDir('on-push');
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
        rules: [{ name: 'a-out', source: { backend: 'a', repositories: ['team/**'] }, destinations: [{ backend: 'b' }, { backend: 'c', repository: 'mirror/{name}' }], triggers: ['on-push'] }],
      },
    });
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), redis?.stop()]);
    dir.remove();
  });

  test('a signed multi-arch image lands byte-identical in both destinations; a second push of it copies nothing more', async () => {
    const client = new V2Client(gateway.url);
    const image = await pushMultiArch(client, 'team/app', 'v1');
    const key = cosignKeyPair(dir.path, 'release');
    const signature = await cosignSign(overHttp(client), 'team/app', descriptorOf(image.index), key, { form: 'tag' });
    const signatureTag = `${image.index.digest.replace(':', '-')}.sig`;

    // v1 and the .sig tag, each to B and C.
    const completed = await waitForJobs(gateway.url, 'completed', 4);
    assert.deepEqual(completed.map((j) => `${j.destination.backend}/${j.destination.repository}:${j.tag}`).sort(), [
      `b/team/app:${signatureTag}`, 'b/team/app:v1', `c/mirror/team/app:${signatureTag}`, 'c/mirror/team/app:v1',
    ]);
    for (const job of completed) {
      assert.equal(job.rule, 'a-out');
      assert.equal(job.trigger, 'on-push');
      assert.deepEqual(job.source, { backend: 'a', repository: 'team/app' });
    }
    const v1 = completed.find((j) => j.tag === 'v1')!;
    assert.equal(v1.digest, image.index.digest);
    assert.ok((v1.progress as { blobsTotal?: number }).blobsTotal !== undefined, `progress recorded: ${JSON.stringify(v1.progress)}`);

    for (const [host, repository] of [[b.host, 'team/app'], [c.host, 'mirror/team/app']] as const) {
      assert.equal(await rawManifest(host, `${repository}:v1`), image.index.bytes.toString(), `index at ${host}`);
      for (const manifest of image.manifests) {
        assert.equal(await rawManifest(host, `${repository}@${manifest.digest}`), manifest.bytes.toString(), `platform manifest at ${host}`);
      }
      const sig = await rawManifest(host, `${repository}:${signatureTag}`);
      assert.equal(`sha256:${(await import('node:crypto')).createHash('sha256').update(sig).digest('hex')}`, signature, `signature at ${host}`);
    }

    // The same push again: the jobs exist (same digest to the same place), nothing is enqueued twice.
    await overHttp(client).pushManifest('team/app', 'v1', image.index, image.index.mediaType);
    const all = await listJobs(gateway.url);
    assert.equal(all.length, 4, JSON.stringify(all));

    // Every completed copy is in the audit stream.
    await waitFor('replication audit lines', async () => logLines(gateway.logs).filter((l) => l.audit && l.event === 'replication' && l.decision === 'completed').length === 4);
    const line = logLines(gateway.logs).find((l) => l.audit && l.event === 'replication' && l.reference === 'v1' && String(l.reason).includes('c/mirror/team/app'))!;
    assert.equal(line.rule, 'a-out');
    assert.equal(line.digest, image.index.digest);
  });

  test('a tag moved away and back is copied each time (B ends at what A has)', async () => {
    const client = new V2Client(gateway.url);
    const first = await client.pushImage('team/flip', 'v1');
    await waitFor('first copy', async () => (await listJobs(gateway.url, 'state=completed')).filter((j) => j.source.repository === 'team/flip').length === 2);
    const second = await client.pushImage('team/flip', 'v1');
    await waitFor('second copy', async () => (await rawManifest(b.host, 'team/flip:v1')) === second.manifest.bytes.toString());
    // Back to the first image: its job completed before, but the tag has pointed elsewhere since.
    assert.equal((await client.pushManifest('team/flip', 'v1', first.manifest)).status, 201);
    await waitFor('back at the first image in B', async () => (await rawManifest(b.host, 'team/flip:v1')) === first.manifest.bytes.toString());
    await waitFor('back at the first image in C', async () => (await rawManifest(c.host, 'mirror/team/flip:v1')) === first.manifest.bytes.toString());
  });

  test('a repository outside the rule is not replicated', async () => {
    const client = new V2Client(gateway.url);
    await client.pushImage('other/app', 'v1');
    const jobs = await listJobs(gateway.url);
    assert.equal(jobs.filter((j) => j.source.repository === 'other/app').length, 0);
  });
});
