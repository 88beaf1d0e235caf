import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { AdminClient } from '../admin/admin-client';
import { adminClient, withAdminOptions, type AdminFlags } from '../admin/admin-options';
import { CliError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { progressReporter, type ProgressReporter } from '../progress/progress-reporter';

/** A job as GET /admin/v1/replication/jobs reports it. */
export interface ReplicationJobView {
  id: string;
  /** BullMQ's states; `done` is accepted for `completed`. */
  state: string;
  progress?: { blobsDone?: number; blobsTotal?: number; bytesDone?: number; bytesTotal?: number };
  failedReason?: string;
  error?: string;
  repository?: string;
  destination?: string;
}

interface ReplicateFlags extends AdminFlags {
  rule?: boolean;
  repository?: boolean;
  wait: boolean;
  interval: number;
}

/** Rule names are `[a-zA-Z0-9_-]+` (config schema); anything else must be a repository. */
const RULE_NAME = /^[a-zA-Z0-9_-]+$/;

/**
 * `gantry replicate <rule|repository>`: POST /admin/v1/replication/run, then follows the jobs it
 * enqueued (GET /admin/v1/replication/jobs?ids=…) until each is done or failed.
 */
export function registerReplicateCommand(program: Command, ctx: CliContext): void {
  withAdminOptions(
    program
      .command('replicate')
      .description('run replication now, for a rule or for one repository (every rule that covers it), and follow the jobs')
      .argument('<target>', 'a rule name, or a repository (anything that is not a valid rule name; --repository forces it)')
      .addOption(new Option('--rule', 'the target is a rule name').conflicts('repository'))
      .option('--repository', 'the target is a repository')
      .option('--no-wait', 'print the enqueued job ids and return')
      .option('--interval <seconds>', 'how often to poll the jobs', seconds, 1),
  ).action(async (target: string, flags: ReplicateFlags) => {
    const client = await adminClient(flags, ctx.terminal);
    const byRule = flags.rule || (!flags.repository && RULE_NAME.test(target));
    const answer = await client.post<unknown>('/admin/v1/replication/run', byRule ? { rule: target } : { repository: target });
    const ids = jobIdsOf(answer);
    const reporter = progressReporter(ctx.terminal);
    reporter.result({ event: 'enqueued', ...(byRule ? { rule: target } : { repository: target }), jobs: ids }, `enqueued ${ids.length} job(s): ${ids.join(', ') || 'none'}`);
    if (!flags.wait || ids.length === 0) return reporter.stop();
    let failed: string[];
    try {
      failed = await follow(client, ids, flags.interval, reporter);
    } finally {
      reporter.stop();
    }
    if (failed.length > 0) throw new CliError(`${failed.length} of ${ids.length} job(s) failed: ${failed.join(', ')}`);
  });
}

async function follow(client: AdminClient, ids: string[], intervalSeconds: number, reporter: ProgressReporter): Promise<string[]> {
  const pending = new Set(ids);
  const failed: string[] = [];
  for (;;) {
    const { jobs } = await client.get<{ jobs: ReplicationJobView[] }>(`/admin/v1/replication/jobs?ids=${[...pending].map(encodeURIComponent).join(',')}`);
    const byId = new Map((jobs ?? []).map((job) => [String(job.id), job]));
    for (const id of [...pending]) {
      const job = byId.get(id);
      if (!job) throw new CliError(`job ${id} is no longer known to the gateway`);
      const numbers = progressNumbers(job);
      const event = { job: id, state: job.state, ...numbers };
      if (job.state === 'completed' || job.state === 'done') {
        pending.delete(id);
        reporter.progress(id, bar(job, numbers, true), { event: 'progress', ...event });
        reporter.result({ event: 'done', ...event }, `job ${id}${job.repository ? ` (${job.repository})` : ''}: done, ${numbers.blobsDone} blobs, ${megabytes(numbers.bytesDone)}`);
      } else if (job.state === 'failed') {
        pending.delete(id);
        failed.push(id);
        const error = job.failedReason ?? job.error ?? 'failed';
        reporter.result({ event: 'failed', ...event, error }, `job ${id}${job.repository ? ` (${job.repository})` : ''}: failed: ${error}`);
      } else {
        reporter.progress(id, bar(job, numbers, false), { event: 'progress', ...event });
      }
    }
    if (pending.size === 0) return failed;
    await sleep(intervalSeconds * 1000);
  }
}

/** `{jobs: [{id}]}`, `{jobIds: [...]}` or `{ids: [...]}`: the run answer's enqueued jobs. */
export function jobIdsOf(answer: unknown): string[] {
  const record = (answer ?? {}) as { jobs?: { id?: unknown }[]; jobIds?: unknown[]; ids?: unknown[] };
  const ids = record.jobIds ?? record.ids ?? record.jobs?.map((job) => job.id);
  if (!Array.isArray(ids)) throw new CliError(`unexpected answer from /admin/v1/replication/run: ${JSON.stringify(answer).slice(0, 200)}`);
  return ids.map(String);
}

function progressNumbers(job: ReplicationJobView): { blobsDone: number; blobsTotal: number; bytesDone: number; bytesTotal: number } {
  const p = job.progress ?? {};
  return { blobsDone: p.blobsDone ?? 0, blobsTotal: p.blobsTotal ?? 0, bytesDone: p.bytesDone ?? 0, bytesTotal: p.bytesTotal ?? 0 };
}

/** The bar follows bytes when the job knows them, else blobs. */
function bar(job: ReplicationJobView, n: ReturnType<typeof progressNumbers>, finished: boolean) {
  const byBytes = n.bytesTotal > 0;
  const total = byBytes ? n.bytesTotal : n.blobsTotal;
  const done = finished ? total : byBytes ? n.bytesDone : n.blobsDone;
  return {
    label: `job ${job.id} ${job.state}`,
    done,
    total,
    detail: `${n.blobsDone}/${n.blobsTotal} blobs, ${megabytes(n.bytesDone)} of ${megabytes(n.bytesTotal)}`,
  };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
