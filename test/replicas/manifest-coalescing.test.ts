import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeServer, listen } from '../support/clouds/http-util';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { sha256, V2Client } from '../support/v2-client';
import { forwardRequest } from '../support/forward-request';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** Manifest answers are held this long so that both replicas' misses overlap (well under the 5 s fill lease). */
const MANIFEST_DELAY_MS = 300;

/**
 * A relay that holds manifest responses for a moment: without it a fast upstream could answer
 * replica A before replica B's miss starts, and a missing cluster-wide lock would go unnoticed.
 */
async function startSlowManifests(upstreamUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      if ((req.url ?? '').includes('/manifests/')) await sleep(MANIFEST_DELAY_MS);
      await forwardRequest(req, res, upstreamUrl);
    })().catch(() => res.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}

/** Two replicas on one Redis: concurrent misses for one manifest reach the upstream once, whichever replica they hit. */
describe('manifest misses coalesced across replicas', () => {
  let redis: RedisProcess;
  let upstream: Distribution;
  let slow: { url: string; stop(): Promise<void> };
  let front: CountingFront;
  let replicas: GatewayProcess[] = [];
  let clients: V2Client[] = [];
  let direct: V2Client;
  before(async () => {
    redis = await startRedis();
    upstream = await startDistribution();
    slow = await startSlowManifests(upstream.url);
    front = await startCountingFront(slow.url);
    const config = {
      redis: { url: redis.url },
      backends: { corp: { type: 'registry', url: front.url } },
      routes: [{ prefix: '', backend: 'corp' }],
    };
    replicas = await Promise.all([startGateway(config), startGateway(config)]);
    clients = replicas.map((replica) => new V2Client(replica.url));
    direct = new V2Client(upstream.url);
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await front?.stop();
    await slow?.stop();
    await upstream?.stop();
    await redis?.stop();
  });

  /** 20 concurrent GETs through each replica; every answer must be the manifest's exact bytes. */
  const pullEverywhere = async (path: string, expected: Buffer): Promise<string[]> => {
    const pulls = clients.flatMap((client) => Array.from({ length: 20 }, async () => {
      const res = await client.request('GET', path, { headers: { accept: OCI_MANIFEST } });
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200, bytes.toString().slice(0, 200));
      assert.ok(bytes.equals(expected), 'the manifest, byte-exact');
      assert.equal(res.headers.get('docker-content-digest'), sha256(expected));
      return res.headers.get('x-gantry-cache') ?? 'none';
    }));
    return Promise.all(pulls);
  };

  test('40 concurrent pulls of one cold tag on two replicas: the upstream sees one manifest GET', async () => {
    const { manifest } = await direct.pushImage('team/tagged', 'v1');
    front.reset();
    const statuses = await pullEverywhere('/v2/team/tagged/manifests/v1', manifest.bytes);
    assert.equal(front.count('GET', '/v2/team/tagged/manifests/v1'), 1, 'one upstream GET of the tag, cluster-wide');
    assert.equal(front.manifestRequests(), 1);
    assert.ok(statuses.every((status) => status === 'miss' || status === 'hit'), statuses.join(','));
  });

  test('40 concurrent pulls of one cold digest on two replicas: the upstream sees one manifest GET', async () => {
    const { manifest } = await direct.pushImage('team/pinned', 'v1');
    front.reset();
    await pullEverywhere(`/v2/team/pinned/manifests/${manifest.digest}`, manifest.bytes);
    assert.equal(front.count('GET', `/v2/team/pinned/manifests/${manifest.digest}`), 1, 'one upstream GET of the digest, cluster-wide');
    assert.equal(front.manifestRequests(), 1);
  });
});
