import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonLines, runGantry } from './gantry-process';
import { startReplicationAdminStandIn, type ReplicationAdminStandIn, type ScriptedJob } from './replication-admin-stand-in';

const PASSWORD = 'admin-Secret-replicate';
const MB = 1_000_000;

/** Two jobs: one copies 3 blobs over three polls, one fails on its second poll. */
const JOBS: ScriptedJob[] = [
  {
    id: '7',
    repository: 'payments/api',
    steps: [
      { state: 'waiting', blobsDone: 0, blobsTotal: 0, bytesDone: 0, bytesTotal: 0 },
      { state: 'active', blobsDone: 1, blobsTotal: 3, bytesDone: 2 * MB, bytesTotal: 8 * MB },
      { state: 'active', blobsDone: 2, blobsTotal: 3, bytesDone: 6 * MB, bytesTotal: 8 * MB },
      { state: 'completed', blobsDone: 3, blobsTotal: 3, bytesDone: 8 * MB, bytesTotal: 8 * MB },
    ],
  },
  {
    id: '8',
    repository: 'payments/worker',
    steps: [
      { state: 'active', blobsDone: 0, blobsTotal: 2, bytesDone: 0, bytesTotal: 4 * MB },
      { state: 'failed', blobsDone: 1, blobsTotal: 2, bytesDone: 1 * MB, bytesTotal: 4 * MB, failedReason: 'destination gar-eu: 403 DENIED' },
    ],
  },
];

/**
 * `gantry replicate` against a stand-in of the replication admin API (the worker and its API are
 * built in parallel; the end-to-end run against the real gateway comes with them).
 */
describe('gantry replicate (client side)', () => {
  let standIn: ReplicationAdminStandIn;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    standIn = await startReplicationAdminStandIn(JOBS, PASSWORD);
    env = { GANTRY_URL: standIn.url, GANTRY_USER: 'admin', GANTRY_PASSWORD: PASSWORD };
  });
  after(() => standIn?.close());

  test('a rule: enqueues, follows every job to the end in JSON lines, exit 1 naming the failed job', async () => {
    const run = await runGantry(['replicate', 'ecr-to-gar', '--interval', '0.05'], { env });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, 'gantry replicate: 1 of 2 job(s) failed: 8\n');
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines[0], { event: 'enqueued', rule: 'ecr-to-gar', jobs: ['7', '8'] });
    const of = (job: string) => lines.filter((l) => l.job === job).map((l) => `${String(l.event)} ${String(l.state)} ${String(l.blobsDone)}/${String(l.blobsTotal)} ${String(l.bytesDone)}`);
    assert.deepEqual(of('7'), [
      'progress waiting 0/0 0',
      'progress active 1/3 2000000',
      'progress active 2/3 6000000',
      'progress completed 3/3 8000000',
      'done completed 3/3 8000000',
    ]);
    assert.deepEqual(of('8'), ['progress active 0/2 0', 'failed failed 1/2 1000000']);
    assert.equal(lines.find((l) => l.event === 'failed')!.error, 'destination gar-eu: 403 DENIED');
    const run0 = standIn.requests.find((r) => r.method === 'POST')!;
    assert.deepEqual(run0.body, { rule: 'ecr-to-gar' });
    assert.equal(run0.authorization, `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`);
    // Once a job is over, it is no longer asked for.
    const polls = standIn.requests.filter((r) => r.method === 'GET').map((r) => decodeURIComponent(new URL(r.url, 'http://x').searchParams.get('ids')!));
    assert.equal(polls[0], '7,8');
    assert.equal(polls.at(-1), '7');
  });

  test('a repository (anything that is not a rule name) and --repository: only its jobs; success is exit 0', async () => {
    const before = standIn.requests.length;
    const byName = await runGantry(['replicate', 'payments/api', '--interval', '0.05'], { env });
    assert.equal(byName.code, 0, byName.stderr);
    const lines = jsonLines(byName.stdout);
    assert.deepEqual(lines[0], { event: 'enqueued', repository: 'payments/api', jobs: ['7'] });
    assert.equal(lines.at(-1)!.event, 'done');
    assert.deepEqual(standIn.requests[before]!.body, { repository: 'payments/api' });

    const forced = await runGantry(['replicate', 'alpine', '--repository', '--no-wait'], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(jsonLines(forced.stdout), [{ event: 'enqueued', repository: 'alpine', jobs: [] }]);
  });

  test('--no-wait prints the job ids and returns', async () => {
    const before = standIn.requests.length;
    const run = await runGantry(['replicate', 'ecr-to-gar', '--rule', '--no-wait'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(jsonLines(run.stdout), [{ event: 'enqueued', rule: 'ecr-to-gar', jobs: ['7', '8'] }]);
    assert.equal(standIn.requests.length, before + 1, 'it polled');
  });

  test('errors: an unknown rule (the API\'s 404), no credentials (401), bad flags (exit 2)', async () => {
    const unknown = await runGantry(['replicate', 'no-such-rule'], { env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^gantry replicate: POST \/admin\/v1\/replication\/run: 404 NAME_UNKNOWN: no replication rule "no-such-rule"\n$/);
    const anonymous = await runGantry(['replicate', 'ecr-to-gar'], { env: { GANTRY_URL: standIn.url } });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /401 UNAUTHORIZED: authentication required \(give --user/);
    const interval = await runGantry(['replicate', 'ecr-to-gar', '--interval', 'often'], { env });
    assert.equal(interval.code, 2);
    assert.match(interval.stderr, /--interval <seconds>' argument 'often' is invalid/);
    const both = await runGantry(['replicate', 'x', '--rule', '--repository'], { env });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
    const url = await runGantry(['replicate', 'x', '--url', 'ftp://host'], { env });
    assert.equal(url.code, 2);
    assert.match(url.stderr, /--url: must be http:\/\/ or https:\/\//);
  });
});
