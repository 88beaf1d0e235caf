import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBlobRelay, type BlobRelay } from '../support/blob-relay';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir, waitFor } from '../support/temp';
import { randomBlob, V2Client } from '../support/v2-client';
import { pullDigest } from './pull';

const MiB = 1024 * 1024;

/** Two gateway replicas sharing one Redis and one blob cache directory fetch a cold blob once. */
describe('disk blob cache across replicas: one upstream fetch, takeover after kill -9', () => {
  let upstream: Distribution;
  let relay: BlobRelay;
  let redis: RedisProcess;
  let cacheDir: ReturnType<typeof tempDir>;
  let config: Record<string, unknown>;
  const gateways: GatewayProcess[] = [];

  before(async () => {
    upstream = await startDistribution();
    relay = await startBlobRelay(upstream.url);
    redis = await startRedis();
    cacheDir = tempDir('blob-cluster');
    config = {
      redis: { url: redis.url },
      backends: { up: { type: 'registry', url: relay.url } },
      routes: [{ prefix: 'cached/', backend: 'up', blobCache: { path: cacheDir.path, maxBytes: 1024 * MiB } }],
    };
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await relay?.stop();
    await redis?.stop();
    await upstream?.stop();
    cacheDir?.remove();
  });

  test('20 clients on each of 2 replicas pull a cold 64 MiB blob: the upstream sends it once, every client gets the right bytes', async () => {
    const [a, b] = [await startGateway(config), await startGateway(config)];
    gateways.push(a, b);
    const blob = randomBlob(64 * MiB);
    await new V2Client(upstream.url).pushBlob('app', blob);

    const pulls = [a, b].flatMap((gateway) =>
      Array.from({ length: 20 }, () => pullDigest(`${gateway.url}/v2/cached/app/blobs/${blob.digest}`)),
    );
    const results = await Promise.all(pulls);
    for (const result of results) {
      assert.equal(result.status, 200);
      assert.equal(result.bytes, blob.bytes.length);
      assert.equal(result.digest, blob.digest);
    }
    assert.equal(relay.blobGets(blob.digest), 1, 'one upstream GET for 40 clients on 2 replicas');
  });

  test('the lock holder killed with kill -9 mid-fetch: the other replica takes over and its clients complete', async () => {
    const [holder, other] = [await startGateway(config), await startGateway(config)];
    gateways.push(holder, other);
    const blob = randomBlob(24 * MiB);
    await new V2Client(upstream.url).pushBlob('app', blob);
    const path = `/v2/cached/app/blobs/${blob.digest}`;

    relay.bytesPerSecond = 4 * MiB; // slow enough that the kill lands mid-transfer
    try {
      const holderClient = pullDigest(`${holder.url}${path}`).catch((err: Error) => err);
      await waitFor('the holder to be fetching', async () => relay.bytesSent(blob.digest) >= 2 * MiB);
      // The other replica's clients follow the holder's temp file (their headers are out).
      let following = 0;
      const otherClients = Array.from({ length: 5 }, () => pullDigest(`${other.url}${path}`, () => following++));
      await waitFor('the other replica to follow the fill', async () => following === 5);
      assert.ok(relay.bytesSent(blob.digest) < blob.bytes.length, 'the holder is still mid-transfer');

      await holder.stop('SIGKILL');
      relay.bytesPerSecond = undefined;
      assert.ok((await holderClient) instanceof Error, "the killed replica's client was cut off");
      for (const result of await Promise.all(otherClients)) {
        assert.equal(result.status, 200);
        assert.equal(result.digest, blob.digest, 'the right bytes, across the change of writer');
      }
    } finally {
      relay.bytesPerSecond = undefined;
    }
    assert.equal(relay.blobGets(blob.digest), 2, 'the holder, then the replica that took over');
    await waitFor('the takeover fill in the log', async () => other.logs.join('').includes('blob cache: filled'));
  });
});
