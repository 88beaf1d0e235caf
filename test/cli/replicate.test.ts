import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonLines, runGantry } from './gantry-process';
import { startReplicationAdminStandIn, type ReplicationAdminStandIn, type ScriptedJob } from './replication-admin-stand-in';

const PASSWORD = 'admin-Secret-replicate';
const MB = 1_000_000;
const progress = (blobsDone: number, blobsTotal: number, bytesDone: number, bytesTotal: number) => ({ blobsDone, blobsTotal, bytesDone, bytesTotal, manifestsDone: 0, manifestsTotal: 1 });

/** Two jobs of rule ecr-to-gar: one copies 3 blobs over four polls, one fails on its second. */
const JOBS: ScriptedJob[] = [
  {
    id: 'copy-aaa',
    repository: 'payments/api',
    tag: '1.4',
    destination: { backend: 'gar-eu', repository: 'payments/api' },
    steps: [
      { state: 'waiting', progress: 0 },
      { state: 'active', progress: progress(1, 3, 2 * MB, 8 * MB) },
      { state: 'active', progress: progress(2, 3, 6 * MB, 8 * MB) },
      { state: 'completed', progress: progress(3, 3, 8 * MB, 8 * MB) },
    ],
  },
  {
    id: 'copy-bbb',
    repository: 'payments/worker',
    tag: '2.0',
    destination: { backend: 'gar-eu', repository: 'payments/worker' },
    steps: [
      { state: 'active', progress: progress(0, 2, 0, 4 * MB) },
      { state: 'failed', progress: progress(1, 2, 1 * MB, 4 * MB), failedReason: 'destination gar-eu: 403 DENIED' },
    ],
  },
];

/**
 * `gantry replicate` against a stand-in of the replication admin API (the real one comes with the
 * replication work; this checks the client: requests, polling, JSON lines, exit codes).
 */
describe('gantry replicate (client side)', () => {
  let standIn: ReplicationAdminStandIn;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    standIn = await startReplicationAdminStandIn('ecr-to-gar', JOBS, PASSWORD);
    env = { GANTRY_URL: standIn.url, GANTRY_USER: 'admin', GANTRY_PASSWORD: PASSWORD };
  });
  after(() => standIn?.close());

  test('a rule: enqueues, follows every job to its end in JSON lines, exit 1 naming the failed job', async () => {
    const run = await runGantry(['replicate', 'ecr-to-gar', '--interval', '0.05'], { env });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, 'gantry replicate: 1 of 2 job(s) failed: copy-bbb\n');
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines[0], { event: 'enqueued', rule: 'ecr-to-gar', jobs: ['copy-aaa', 'copy-bbb'] });
    const of = (job: string) => lines.filter((l) => l.job === job).map((l) => `${String(l.event)} ${String(l.state)} ${String(l.blobsDone)}/${String(l.blobsTotal)} ${String(l.bytesDone)}`);
    assert.deepEqual(of('copy-aaa'), [
      'progress waiting 0/0 0',
      'progress active 1/3 2000000',
      'progress active 2/3 6000000',
      'progress completed 3/3 8000000',
      'done completed 3/3 8000000',
    ]);
    assert.deepEqual(of('copy-bbb'), ['progress active 0/2 0', 'failed failed 1/2 1000000']);
    const failed = lines.find((l) => l.event === 'failed')!;
    assert.equal(failed.error, 'destination gar-eu: 403 DENIED');
    assert.equal(failed.source, 'ecr-prod/payments/worker');
    assert.equal(failed.tag, '2.0');
    assert.equal(failed.destination, 'gar-eu/payments/worker');
    const post = standIn.requests.find((r) => r.method === 'POST')!;
    assert.deepEqual(post.body, { rule: 'ecr-to-gar' });
    // A job that is over is not asked for again: copy-bbb twice, copy-aaa until completed.
    const polled = (id: string) => standIn.requests.filter((r) => r.path === `/admin/v1/replication/jobs/${id}`).length;
    assert.equal(polled('copy-bbb'), 2);
    assert.equal(polled('copy-aaa'), 4);
  });

  test('a rule and one repository: only that repository\'s job; all completed is exit 0', async () => {
    const before = standIn.requests.length;
    const run = await runGantry(['replicate', 'ecr-to-gar', 'payments/api', '--interval', '0.05'], { env });
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines[0], { event: 'enqueued', rule: 'ecr-to-gar', repository: 'payments/api', jobs: ['copy-aaa'] });
    assert.equal(lines.at(-1)!.event, 'done');
    assert.deepEqual(standIn.requests[before]!.body, { rule: 'ecr-to-gar', repository: 'payments/api' });
  });

  test('--no-wait prints the job ids and returns without polling', async () => {
    const before = standIn.requests.length;
    const run = await runGantry(['replicate', 'ecr-to-gar', '--no-wait'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(jsonLines(run.stdout), [{ event: 'enqueued', rule: 'ecr-to-gar', jobs: ['copy-aaa', 'copy-bbb'] }]);
    assert.equal(standIn.requests.length, before + 1);
  });

  test('errors: an unknown rule or repository, no credentials (401), bad flags and arguments (exit 2)', async () => {
    // Not a rule (the API's 404), so taken as a repository: no rule takes it either.
    const unknown = await runGantry(['replicate', 'no-such-rule'], { env });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'gantry replicate: POST /admin/v1/replication/run: 400 UNSUPPORTED: no replication rule takes repository "no-such-rule"\n');
    assert.deepEqual(standIn.requests.slice(-2).map((r) => r.body), [{ rule: 'no-such-rule' }, { repository: 'no-such-rule' }]);
    const unknownRule = await runGantry(['replicate', 'no-such-rule', 'payments/api'], { env });
    assert.equal(unknownRule.stderr, 'gantry replicate: POST /admin/v1/replication/run: 404 NAME_UNKNOWN: no replication rule "no-such-rule"\n');
    const anonymous = await runGantry(['replicate', 'ecr-to-gar'], { env: { GANTRY_URL: standIn.url } });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /401 UNAUTHORIZED: authentication required \(give --user/);
    const interval = await runGantry(['replicate', 'ecr-to-gar', '--interval', 'often'], { env });
    assert.equal(interval.code, 2);
    assert.match(interval.stderr, /--interval <seconds>' argument 'often' is invalid/);
    const extra = await runGantry(['replicate', 'ecr-to-gar', 'payments/api', 'more'], { env });
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /too many arguments/);
    const url = await runGantry(['replicate', 'ecr-to-gar', '--url', 'ftp://host'], { env });
    assert.equal(url.code, 2);
    assert.match(url.stderr, /--url: must be http:\/\/ or https:\/\//);
  });
});
