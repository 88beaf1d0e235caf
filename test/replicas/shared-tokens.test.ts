import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { sha256, V2Client } from '../support/v2-client';

/** Upstream bearer tokens fetched by one replica are reused by the other, through Redis. */
describe('two gateway replicas share upstream bearer tokens', () => {
  let redis: RedisProcess;
  let upstream: Distribution;
  let replicas: GatewayProcess[] = [];
  before(async () => {
    redis = await startRedis();
    upstream = await startDistribution({ kind: 'token', users: { alice: 'alice-secret' } });
    const config = {
      redis: { url: redis.url },
      backends: {
        corp: {
          type: 'registry', url: upstream.url, credentials: { username: 'alice', password: 'alice-secret' },
          allowedRealmHosts: [new URL(upstream.tokenServer!.url).host],
        },
      },
      routes: [{ prefix: '', backend: 'corp' }],
    };
    replicas = await Promise.all([startGateway(config), startGateway(config)]);
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await upstream?.stop();
    await redis?.stop();
  });

  /** Token requests so far that asked for exactly `scope`. */
  function tokenRequestsFor(scope: string): number {
    return upstream.tokenServer!.requests.filter((r) => {
      const scopes = new URL(r.path, 'http://x').searchParams.getAll('scope');
      return scopes.length === 1 && scopes[0] === scope;
    }).length;
  }

  test('a pull on each replica costs one token fetch for the scope, across both', async () => {
    const [a, b] = replicas.map((r) => new V2Client(r.url)) as [V2Client, V2Client];
    const { manifest, layer } = await a.pushImage('team/app', 'v1');
    const pullScope = 'repository:team/app:pull';
    const before = tokenRequestsFor(pullScope);
    for (const client of [a, b]) {
      const pulled = await client.request('GET', '/v2/team/app/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(pulled.status, 200, await pulled.clone().text());
      assert.equal(sha256(Buffer.from(await pulled.arrayBuffer())), manifest.digest);
      const blob = await client.request('GET', `/v2/team/app/blobs/${layer.digest}`);
      assert.equal(blob.status, 200);
      assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), layer.digest);
    }
    assert.equal(tokenRequestsFor(pullScope) - before, 1, 'replica B reused the token replica A fetched');
    // Tokens are secrets: shared through Redis, never written to a log.
    for (const replica of replicas) assert.doesNotMatch(replica.logs.join(''), /eyJ[\w-]+\.eyJ[\w-]+/);
  });
});
