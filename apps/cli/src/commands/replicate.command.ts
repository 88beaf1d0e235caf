import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import type { AdminClient } from '../admin/admin-client';
import { adminClient, withAdminOptions, type AdminFlags } from '../admin/admin-options';
import { AdminRequestError, CliError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { progressReporter, type ProgressReporter } from '../progress/progress-reporter';

/** A copy job as GET /admin/v1/replication/jobs/:id shows it (the fields this command reads). */
export interface ReplicationJobView {
  id: string;
  /** BullMQ's: waiting, delayed, active, completed, failed (final once its attempts are spent), … */
  state: string;
  source?: { backend: string; repository: string };
  destination?: { backend: string; repository: string };
  tag?: string;
  digest?: string;
  /** The copy engine's progress; BullMQ's 0 before the first report. */
  progress?: unknown;
  failedReason?: string;
}

interface CopyNumbers {
  blobsDone: number;
  blobsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

interface ReplicateFlags extends AdminFlags {
  wait: boolean;
  interval: number;
}

/** Jobs polled at once: a rule over many repositories makes many jobs; the gateway need not get them all every second. */
const POLL_CONCURRENCY = 8;

/**
 * `gantry replicate <rule> [repository]`: POST /admin/v1/replication/run, then follows each job it
 * enqueued (GET /admin/v1/replication/jobs/:id) until it is completed or failed.
 */
export function registerReplicateCommand(program: Command, ctx: CliContext): void {
  withAdminOptions(
    program
      .command('replicate')
      .description('run a replication rule now (every tag it covers, or one repository\'s), or every rule that takes a repository, and follow the copy jobs')
      .argument('<rule|repository>', 'a replication rule (replication.rules[].name), or a source repository: every rule that takes it runs')
      .argument('[repository]', 'with a rule: only this source repository (one the rule covers)')
      .option('--no-wait', 'print the enqueued job ids and return')
      .option('--interval <seconds>', 'how often to poll the jobs', seconds, 1),
  ).action(async (target: string, repository: string | undefined, flags: ReplicateFlags) => {
    const client = await adminClient(flags, ctx.terminal);
    const { answer, scope } = await startRun(client, target, repository);
    const ids = jobIdsOf(answer);
    const reporter = progressReporter(ctx.terminal);
    reporter.result({ event: 'enqueued', ...scope, jobs: ids }, `enqueued ${ids.length} job(s)${ids.length > 0 ? `: ${ids.join(', ')}` : ' (nothing to copy)'}`);
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

/** Rule names are letters, digits, - and _ (the config schema's): anything else can only be a repository. */
const RULE_NAME = /^[a-zA-Z0-9_-]+$/;

/**
 * `replicate <rule> [repository]`, or `replicate <repository>`: a target that cannot be a rule
 * name is a repository; one that can is tried as a rule first, and as a repository when no rule
 * has that name (`alpine`).
 */
async function startRun(client: AdminClient, target: string, repository: string | undefined): Promise<{ answer: unknown; scope: Record<string, string> }> {
  const asRepository = async () => ({ answer: await client.post<unknown>('/admin/v1/replication/run', { repository: target }), scope: { repository: target } });
  if (repository !== undefined) {
    return { answer: await client.post<unknown>('/admin/v1/replication/run', { rule: target, repository }), scope: { rule: target, repository } };
  }
  if (!RULE_NAME.test(target)) return asRepository();
  try {
    return { answer: await client.post<unknown>('/admin/v1/replication/run', { rule: target }), scope: { rule: target } };
  } catch (err) {
    if (err instanceof AdminRequestError && err.status === 404 && err.code === 'NAME_UNKNOWN') return asRepository();
    throw err;
  }
}

async function follow(client: AdminClient, ids: string[], intervalSeconds: number, reporter: ProgressReporter): Promise<string[]> {
  const pending = [...ids];
  const failed: string[] = [];
  for (;;) {
    const views = await mapLimited(pending, POLL_CONCURRENCY, (id) => client.get<ReplicationJobView>(`/admin/v1/replication/jobs/${encodeURIComponent(id)}`));
    for (const job of views) {
      const numbers = copyNumbers(job.progress);
      const event = { job: job.id, state: job.state, ...describe(job), ...numbers };
      const finished = job.state === 'completed';
      if (finished || job.state !== 'failed') reporter.progress(job.id, bar(job, numbers, finished), { event: 'progress', ...event });
      if (finished) {
        reporter.result({ event: 'done', ...event }, `${title(job)}: done, ${numbers.blobsDone} blobs, ${megabytes(numbers.bytesDone)}`);
      } else if (job.state === 'failed') {
        failed.push(job.id);
        reporter.result({ event: 'failed', ...event, error: job.failedReason ?? 'failed' }, `${title(job)}: failed: ${job.failedReason ?? 'failed'}`);
      }
      if (finished || job.state === 'failed') pending.splice(pending.indexOf(job.id), 1);
    }
    if (pending.length === 0) return failed;
    await sleep(intervalSeconds * 1000);
  }
}

/** The run answer's job ids: `{jobs: ["id", …]}` (also `{jobs: [{id}]}`). */
export function jobIdsOf(answer: unknown): string[] {
  const jobs = (answer as { jobs?: unknown } | undefined)?.jobs;
  if (!Array.isArray(jobs)) throw new CliError(`unexpected answer from /admin/v1/replication/run: ${JSON.stringify(answer)?.slice(0, 200)}`);
  return jobs.map((job: unknown) => String(typeof job === 'object' && job !== null ? (job as { id: unknown }).id : job));
}

function copyNumbers(progress: unknown): CopyNumbers {
  const p = (typeof progress === 'object' && progress !== null ? progress : {}) as Partial<CopyNumbers>;
  return { blobsDone: p.blobsDone ?? 0, blobsTotal: p.blobsTotal ?? 0, bytesDone: p.bytesDone ?? 0, bytesTotal: p.bytesTotal ?? 0 };
}

function describe(job: ReplicationJobView): Record<string, string> {
  return {
    ...(job.source ? { source: `${job.source.backend}/${job.source.repository}` } : {}),
    ...(job.tag ? { tag: job.tag } : {}),
    ...(job.destination ? { destination: `${job.destination.backend}/${job.destination.repository}` } : {}),
  };
}

function title(job: ReplicationJobView): string {
  const d = describe(job);
  return d.source && d.destination ? `${d.source}${d.tag ? `:${d.tag}` : ''} -> ${d.destination}` : `job ${job.id}`;
}

/** The bar follows bytes when the job knows them, else blobs. */
function bar(job: ReplicationJobView, n: CopyNumbers, finished: boolean) {
  const byBytes = n.bytesTotal > 0;
  const total = byBytes ? n.bytesTotal : n.blobsTotal;
  return {
    label: `${title(job)} ${job.state}`,
    done: finished ? total : byBytes ? n.bytesDone : n.blobsDone,
    total,
    detail: `${n.blobsDone}/${n.blobsTotal} blobs, ${megabytes(n.bytesDone)} of ${megabytes(n.bytesTotal)}`,
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
