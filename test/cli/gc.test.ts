import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { randomBlob, V2Client } from '../support/v2-client';
import { jsonLines, runGantry } from './gantry-process';

/** `gantry gc` on a real local store: a tagged image (kept) plus an untagged one and lone blobs (garbage). */
describe('gantry gc', () => {
  const dir = tempDir('cli-gc');
  let gateway: GatewayProcess;
  let configFile: string;
  const garbage: string[] = [];
  const kept: string[] = [];
  let client: V2Client;

  before(async () => {
    const config = { backends: { store: { type: 'local', path: join(dir.path, 'store') } }, routes: [{ prefix: '', backend: 'store' }] };
    configFile = join(dir.path, 'gantry.yaml');
    writeFileSync(configFile, stringify(config));
    gateway = await startGateway(config);
    client = new V2Client(gateway.url);
    for (const repo of ['team/kept', 'team/other']) {
      const image = await client.pushImage(repo, 'v1');
      kept.push(image.config.digest, image.layer.digest, image.manifest.digest);
    }
    const dropped = await client.pushImage('team/dropped', 'v1');
    const untagged = await client.request('DELETE', `/v2/team/dropped/manifests/${dropped.manifest.digest}`);
    assert.equal(untagged.status, 202, await untagged.text());
    // Its config is the same bytes as the kept images' (one blob, still referenced): not garbage.
    garbage.push(dropped.layer.digest, dropped.manifest.digest);
    for (let i = 0; i < 3; i++) {
      const lone = randomBlob(2048);
      await client.pushBlob('team/kept', lone);
      garbage.push(lone.digest);
    }
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  test('not on a terminal: progress and the report as JSON lines on stdout', async () => {
    const dry = await runGantry(['gc', '--config', configFile, '--grace-seconds', '0', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    const lines = jsonLines(dry.stdout);
    const progress = lines.filter((l) => l.event === 'progress');
    const phases = progress.map((l) => `${String(l.phase)} ${String(l.done)}/${String(l.total)}`);
    // Three repositories, then every blob of the store: the kept ones and the garbage.
    const blobs = new Set([...kept, ...garbage]).size;
    assert.equal(phases[0], 'mark 0/3');
    assert.equal(phases.at(-1), `sweep ${blobs}/${blobs}`);
    assert.ok(phases.includes('mark 3/3') && phases.includes(`sweep 0/${blobs}`), phases.join(', '));
    assert.ok(progress.every((l) => l.backend === 'store'));
    const reports = lines.filter((l) => l.event === 'report');
    assert.equal(reports.length, 1);
    assert.equal(lines.at(-1), reports[0]);
    const report = reports[0] as { dryRun: boolean; blobsDeleted: string[]; backend: string; path: string };
    assert.equal(report.dryRun, true);
    assert.equal(report.backend, 'store');
    assert.deepEqual([...report.blobsDeleted].sort(), [...garbage].sort());
    for (const digest of garbage.slice(-3)) {
      assert.equal((await client.request('HEAD', `/v2/team/kept/blobs/${digest}`)).status, 200, `--dry-run removed ${digest}`);
    }
  });

  test('then for real: the garbage is gone, the tagged images still pull', async () => {
    const run = await runGantry(['gc', '--config', configFile, '--grace-seconds', '0']);
    assert.equal(run.code, 0, run.stderr);
    const report = jsonLines(run.stdout).find((l) => l.event === 'report') as { dryRun: boolean; blobsDeleted: string[] };
    assert.equal(report.dryRun, false);
    assert.deepEqual([...report.blobsDeleted].sort(), [...garbage].sort());
    for (const digest of garbage.slice(-3)) {
      assert.equal((await client.request('HEAD', `/v2/team/kept/blobs/${digest}`)).status, 404, `${digest} is still there`);
    }
    for (const repo of ['team/kept', 'team/other']) {
      const res = await client.request('GET', `/v2/${repo}/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(res.status, 200, repo);
    }
    const again = await runGantry(['gc', '--config', configFile, '--grace-seconds', '0']);
    assert.deepEqual((jsonLines(again.stdout).find((l) => l.event === 'report') as { blobsDeleted: string[] }).blobsDeleted, []);
  });

  test('bad flags and configuration exit 2 without collecting', async () => {
    const grace = await runGantry(['gc', '--config', configFile, '--grace-seconds', 'soon']);
    assert.equal(grace.code, 2);
    assert.match(grace.stderr, /^gantry gc: --grace-seconds needs a whole number of seconds, got soon\n/);
    assert.equal(grace.stdout, '');
    const missing = await runGantry(['gc', '--config', join(dir.path, 'absent.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
  });
});
