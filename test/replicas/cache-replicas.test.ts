import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { sha256, V2Client } from '../support/v2-client';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT = { accept: OCI_MANIFEST };

/** The manifest cache of two replicas sharing one Redis, and of a replica whose Redis dies. */
describe('the cache across replicas on one Redis', () => {
  let redis: RedisProcess;
  let upstream: Distribution;
  let replicaA: GatewayProcess;
  let replicaB: GatewayProcess;
  let a: V2Client;
  let b: V2Client;
  before(async () => {
    redis = await startRedis();
    upstream = await startDistribution();
    // A tag stays fresh for an hour: only an invalidation can make B see a new push.
    const config = {
      redis: { url: redis.url },
      backends: { corp: { type: 'registry', url: upstream.url } },
      routes: [{ prefix: '', backend: 'corp', tagTtl: '1h', listTtl: '1h' }],
    };
    [replicaA, replicaB] = await Promise.all([startGateway(config), startGateway(config)]);
    a = new V2Client(replicaA.url);
    b = new V2Client(replicaB.url);
  });
  after(async () => {
    await Promise.all([replicaA?.stop(), replicaB?.stop()]);
    await upstream?.stop();
    await redis?.stop();
  });

  const digestOf = async (client: V2Client, path: string): Promise<{ digest: string; cache: string | null }> => {
    const res = await client.request('GET', path, { headers: ACCEPT });
    assert.equal(res.status, 200, await res.clone().text());
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(bytes), res.headers.get('docker-content-digest'), 'byte-exact');
    return { digest: sha256(bytes), cache: res.headers.get('x-gantry-cache') };
  };

  test('a push through replica A is what replica B serves for that tag at once', async () => {
    const first = await a.pushImage('team/app', 'v1');
    assert.deepEqual(await digestOf(b, '/v2/team/app/manifests/v1'), { digest: first.manifest.digest, cache: 'miss' });
    assert.deepEqual(await digestOf(b, '/v2/team/app/manifests/v1'), { digest: first.manifest.digest, cache: 'hit' });
    const tags = await b.request('GET', '/v2/team/app/tags/list');
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['v1']);

    const second = await a.pushImage('team/app', 'v1');
    assert.notEqual(second.manifest.digest, first.manifest.digest);
    // No wait: the push answered after its invalidation reached Redis and every replica's L1.
    assert.equal((await digestOf(b, '/v2/team/app/manifests/v1')).digest, second.manifest.digest);
    await a.pushImage('team/app', 'v2');
    const after = await b.request('GET', '/v2/team/app/tags/list');
    assert.deepEqual(((await after.json()) as { tags: string[] }).tags, ['v1', 'v2']);
  });

  test('Redis killed during 500 pulls: none fails, one warning; Redis back: the cache fills Redis again', async () => {
    const image = await a.pushImage('team/steady', 'v1');
    const paths = [
      '/v2/team/steady/manifests/v1',
      `/v2/team/steady/manifests/${image.manifest.digest}`,
      `/v2/team/steady/blobs/${image.layer.digest}`,
    ];
    let done = 0;
    const failures: string[] = [];
    const pull = async (i: number): Promise<void> => {
      const path = paths[i % paths.length]!;
      const res = await (i % 2 === 0 ? a : b).request('GET', path, { headers: ACCEPT });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) failures.push(`${path}: ${res.status} ${bytes.toString().slice(0, 200)}`);
      else if (!path.endsWith('/v1') && sha256(bytes) !== path.slice(path.lastIndexOf('/') + 1)) failures.push(`${path}: wrong bytes`);
      done++;
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 500) await pull(next++);
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    await waitFor('100 pulls before the kill', async () => done >= 100);
    await redis.kill();
    await load;
    assert.deepEqual(failures, []);
    assert.equal(done, 500);
    for (const replica of [replicaA, replicaB]) {
      await waitFor('the outage in the log', async () => logLines(replica.logs).some((l) => String(l.msg).startsWith('redis unavailable')));
      assert.equal(logLines(replica.logs).filter((l) => String(l.msg).startsWith('redis unavailable')).length, 1, 'one warning per outage, not per request');
    }

    await redis.restart();
    for (const replica of [replicaA, replicaB]) {
      await waitFor('redis available again', async () => logLines(replica.logs).some((l) => l.msg === 'redis available again'), 15_000);
    }
    // The L1 was dropped when the invalidation channel came back; one pull fills L1 and Redis again.
    await digestOf(a, '/v2/team/steady/manifests/v1');
    const hits = [];
    for (let i = 0; i < 20; i++) hits.push((await digestOf(i % 2 === 0 ? a : b, '/v2/team/steady/manifests/v1')).cache);
    assert.ok(hits.slice(2).every((h) => h === 'hit'), `hits after recovery: ${hits.join(',')}`);
    const status = (await (await a.request('GET', '/admin/v1/cache')).json()) as { redis?: { available: boolean; keys: number } };
    assert.equal(status.redis?.available, true);
    assert.ok((status.redis?.keys ?? 0) > 0, 'entries are in Redis again');
  });
});
