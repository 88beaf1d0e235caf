import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '#config';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir } from '../support/temp';
import { V2Client } from '../support/v2-client';
import { rawManifest, registryBackend, waitForJobs } from './replication-fixtures';

const EXAMPLE = resolve(__dirname, '../../../examples/gantry-replication.yaml');

/** examples/gantry-replication.yaml loads as it is, and its rules copy a push into both mirrors. */
describe('examples/gantry-replication.yaml', () => {
  const dir = tempDir('example-replication');
  let redis: RedisProcess;
  let mirrorA: Distribution;
  let mirrorB: Distribution;
  let gateway: GatewayProcess;

  before(async () => {
    [redis, mirrorA, mirrorB] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    const example = parse(readFileSync(EXAMPLE, 'utf8')) as { replication: Record<string, unknown> };
    // Its own rules and settings; this test's Redis, store and registries.
    gateway = await startGateway({
      redis: { url: redis.url },
      backends: { local: { type: 'local', path: join(dir.path, 'data') }, 'mirror-a': registryBackend(mirrorA.url), 'mirror-b': registryBackend(mirrorB.url) },
      routes: [{ prefix: '', backend: 'local' }],
      replication: example.replication,
    });
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([mirrorA?.stop(), mirrorB?.stop(), redis?.stop()]);
    dir.remove();
  });

  test('it loads as it is', () => {
    const config = loadConfig({ file: EXAMPLE });
    assert.deepEqual(config.replication?.rules.map((r) => r.name), ['releases', 'base-images']);
    assert.equal(config.replication?.backoff, 5000);
  });

  test('a release pushed through the gateway lands in both mirrors; a debug tag does not', async () => {
    const client = new V2Client(gateway.url);
    const { manifest } = await client.pushImage('team/app', '1.2.0');
    await client.pushImage('team/app', '1.2.0-debug');
    await waitForJobs(gateway.url, 'completed', 2);
    assert.equal(await rawManifest(mirrorA.host, 'team/app:1.2.0'), manifest.bytes.toString());
    assert.equal(await rawManifest(mirrorB.host, 'mirror/team/app:1.2.0'), manifest.bytes.toString());
    const res = await fetch(`${gateway.url}/admin/v1/replication/jobs`);
    assert.equal(((await res.json()) as { jobs: unknown[] }).jobs.length, 2);
  });
});
