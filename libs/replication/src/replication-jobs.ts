import type { Job, JobState, Queue } from 'bullmq';
import { cancelChannel } from './replication-cancel';
import type { ReplicationJobData } from './replication-job';
import type { ReplicationQueues } from './replication-queues';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;
export type ReplicationJobState = (typeof JOB_STATES)[number];

/** A copy job as the admin API shows it. */
export interface ReplicationJobView {
  id: string;
  state: string;
  rule: string;
  trigger: string;
  source: ReplicationJobData['source'];
  destination: ReplicationJobData['destination'];
  tag?: string;
  digest: string;
  progress: unknown;
  attemptsMade: number;
  attempts: number;
  failedReason?: string;
  createdAt: string;
  /** When the current (or last) attempt started. */
  startedAt?: string;
  finishedAt?: string;
  result?: unknown;
}

/** Listing, retrying and cancelling copy jobs across the destination queues. */
export class ReplicationJobs {
  constructor(private readonly queues: ReplicationQueues) {}

  async list(filter: { states: readonly ReplicationJobState[]; rule?: string; limit: number }): Promise<ReplicationJobView[]> {
    const views: ReplicationJobView[] = [];
    for (const backend of this.queues.destinations()) {
      const queue = this.queues.copyQueue(backend);
      const jobs = await queue.getJobs([...filter.states] as JobState[], 0, filter.limit - 1);
      for (const job of jobs) {
        if (!job || (filter.rule !== undefined && job.data.rule !== filter.rule)) continue;
        views.push(await viewOf(job));
      }
    }
    return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, filter.limit);
  }

  async get(id: string): Promise<ReplicationJobView | undefined> {
    const found = await this.find(id);
    return found && viewOf(found.job);
  }

  /** A failed job runs again (its attempts start over); any other state: `not-failed`. */
  async retry(id: string): Promise<'retried' | 'not-found' | 'not-failed'> {
    const found = await this.find(id);
    if (!found) return 'not-found';
    if ((await found.job.getState()) !== 'failed') return 'not-failed';
    await found.job.retry('failed', { resetAttemptsMade: true });
    return 'retried';
  }

  /** Removes a job that is not running; a running one is aborted by its worker and kept as failed. */
  async cancel(id: string): Promise<'removed' | 'cancelling' | 'not-found'> {
    const found = await this.find(id);
    if (!found) return 'not-found';
    if ((await found.job.getState()) === 'active') {
      await this.queues.connection.publish(cancelChannel(this.queues.keyPrefix), id);
      return 'cancelling';
    }
    await found.job.remove();
    return 'removed';
  }

  private async find(id: string): Promise<{ queue: Queue<ReplicationJobData>; job: Job<ReplicationJobData> } | undefined> {
    for (const backend of this.queues.destinations()) {
      const queue = this.queues.copyQueue(backend);
      const job = await queue.getJob(id);
      if (job) return { queue, job };
    }
    return undefined;
  }
}

async function viewOf(job: Job<ReplicationJobData>): Promise<ReplicationJobView> {
  const d = job.data;
  return {
    id: job.id!,
    state: await job.getState(),
    rule: d.rule,
    trigger: d.trigger,
    source: d.source,
    destination: d.destination,
    ...(d.tag !== undefined ? { tag: d.tag } : {}),
    digest: d.digest,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    createdAt: new Date(job.timestamp).toISOString(),
    ...(job.processedOn ? { startedAt: new Date(job.processedOn).toISOString() } : {}),
    ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
    ...(job.returnvalue ? { result: job.returnvalue } : {}),
  };
}
