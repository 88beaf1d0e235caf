import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir, waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';
import { GANTRY_BIN, jsonLines, runGantry } from './gantry-process';


/**
 * `gantry worker` and `gantry replicate` for real: Redis, two registries, a gateway with a manual
 * rule a → b, and a worker started by the CLI.
 */
describe('gantry replicate and gantry worker end to end', () => {
  const dir = tempDir('cli-replicate-e2e');
  let redis: RedisProcess;
  let a: Distribution;
  let b: Distribution;
  let gateway: GatewayProcess;
  let worker: ReturnType<typeof spawn>;
  const workerLogs: string[] = [];

  before(async () => {
    [redis, a, b] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    const config = {
      redis: { url: redis.url },
      backends: { a: { type: 'registry', url: a.url }, b: { type: 'registry', url: b.url } },
      routes: [{ prefix: '', backend: 'a' }],
      replication: { rules: [{ name: 'a-to-b', source: { backend: 'a', repositories: ['team/**'] }, destinations: [{ backend: 'b' }], triggers: ['manual'] }] },
    };
    gateway = await startGateway(config);
    const file = join(dir.path, 'gantry.yaml');
    writeFileSync(file, stringify({ ...config, server: { logLevel: 'info' } }));
    worker = spawn(process.execPath, [GANTRY_BIN, 'worker', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (d: Buffer) => workerLogs.push(d.toString()));
    worker.stderr!.on('data', (d: Buffer) => workerLogs.push(d.toString()));
    await waitFor('gantry worker', async () => workerLogs.join('').includes('Gantry worker running'));
  });
  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((res) => worker.once('exit', res));
      worker.kill('SIGTERM');
      await exited;
    }
    await gateway?.stop();
    await Promise.all([a?.stop(), b?.stop(), redis?.stop()]);
    dir.remove();
  });

  test('the image pushed to a is copied to b, the CLI following the job to completed (exit 0)', async () => {
    const image = await new V2Client(a.url).pushImage('team/app', 'v1');
    const run = await runGantry(['replicate', 'a-to-b', '--interval', '0.2'], { env: { GANTRY_URL: gateway.url } });
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}\n${workerLogs.join('')}`);
    const lines = jsonLines(run.stdout);
    assert.equal(lines[0]!.event, 'enqueued');
    assert.equal((lines[0]!.jobs as string[]).length, 1);
    const done = lines.filter((l) => l.event === 'done');
    assert.equal(done.length, 1);
    assert.equal(done[0]!.destination, 'b/team/app');
    assert.equal(done[0]!.tag, 'v1');
    assert.equal(done[0]!.blobsDone, 2);
    const copied = await new V2Client(b.url).request('GET', '/v2/team/app/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(copied.status, 200);
    assert.equal(copied.headers.get('docker-content-digest'), image.manifest.digest);
  });

  test('gantry replicate <repository> runs every rule that takes it; one no rule takes is refused', async () => {
    const image = await new V2Client(a.url).pushImage('team/lib', 'v2');
    const run = await runGantry(['replicate', 'team/lib', '--interval', '0.2'], { env: { GANTRY_URL: gateway.url } });
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}\n${workerLogs.join('')}`);
    const lines = jsonLines(run.stdout);
    assert.equal(lines[0]!.event, 'enqueued');
    assert.equal(lines[0]!.repository, 'team/lib');
    assert.equal((lines[0]!.jobs as string[]).length, 1);
    const copied = await new V2Client(b.url).request('GET', '/v2/team/lib/manifests/v2', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(copied.headers.get('docker-content-digest'), image.manifest.digest);
    // A name that could be a rule and is not one is taken as a repository; no rule takes it.
    const refused = await runGantry(['replicate', 'alpine'], { env: { GANTRY_URL: gateway.url } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no replication rule takes repository "alpine"/);
  });
});
