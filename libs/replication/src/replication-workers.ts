import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { ReplicationConfig } from '#config';
import type { Registry } from '#registry';
import type { CopyResult, ImageCopier } from './copy-contract';
import { type AbortCause, CopyProcessor } from './copy-processor';
import { copyQueueName, SCAN_QUEUE, type ReplicationJobData, type ScanJobData } from './replication-job';
import type { ReplicationPlanner } from './replication-planner';
import type { ReplicationQueues } from './replication-queues';
import type { ReplicationState } from './replication-state';
import { cancelChannel } from './replication-cancel';

/** A copy that ended for good: completed, or failed after its last attempt (or cancelled). */
export interface ReplicationOutcome {
  jobId: string;
  data: ReplicationJobData;
  status: 'completed' | 'failed';
  result?: CopyResult;
  error?: string;
  attempts: number;
}

export interface ReplicationWorkersDeps {
  queues: ReplicationQueues;
  planner: ReplicationPlanner;
  state: ReplicationState;
  copier: ImageCopier;
  backends: ReadonlyMap<string, Registry>;
  config: ReplicationConfig;
  logger: Logger;
  /** The audit stream: every completed or failed copy. */
  onOutcome: (outcome: ReplicationOutcome) => void;
}

/**
 * The workers of one process: a BullMQ Worker per destination queue, one for the scan queue
 * (cron and reconcile), the job schedulers of the rules, and operators' cancels.
 */
export class ReplicationWorkers {
  private readonly workers: Worker[] = [];
  private readonly causes = new Map<string, AbortCause>();
  /** Copies running in this process, by job id. */
  private readonly running = new Set<string>();
  private readonly subscriber;
  private readonly logger: Logger;

  constructor(private readonly deps: ReplicationWorkersDeps) {
    this.logger = deps.logger.child({ component: 'replication' });
    this.subscriber = deps.queues.newConnection('gantry-replication-cancel');
  }

  async start(): Promise<void> {
    const { queues, config } = this.deps;
    await queues.applyDestinationLimits();
    const processor = new CopyProcessor({ ...this.deps, abortCause: (id) => this.causes.get(id) });
    for (const backend of queues.destinations()) {
      const worker = new Worker<ReplicationJobData, CopyResult>(copyQueueName(backend), (job, token, signal) => this.track(job.id!, () => processor.process(job, token, signal)), {
        connection: queues.newConnection(`gantry-worker-${backend}`) as ConnectionOptions,
        prefix: queues.prefix,
        concurrency: config.concurrency,
      });
      worker.on('active', (job) => this.logger.info(jobFields(job), 'replication copy started'));
      worker.on('completed', (job, result) => this.finished(job, 'completed', result));
      worker.on('failed', (job, err) => job && this.failed(job, err));
      worker.on('error', (err) => this.logger.warn({ err: err.message, queue: worker.name }, 'replication worker error'));
      this.workers.push(worker);
    }
    const scanner = new Worker<ScanJobData>(SCAN_QUEUE, (job) => this.scan(job), {
      connection: queues.newConnection('gantry-worker-scan') as ConnectionOptions,
      prefix: queues.prefix,
      concurrency: 1,
    });
    scanner.on('failed', (job, err) => this.logger.warn({ rule: job?.data.rule, trigger: job?.data.trigger, err: err.message }, 'replication scan failed'));
    scanner.on('error', (err) => this.logger.warn({ err: err.message, queue: SCAN_QUEUE }, 'replication worker error'));
    this.workers.push(scanner);
    await this.subscribeCancels();
    this.logger.info({ queues: queues.destinations().map(copyQueueName), concurrency: config.concurrency }, 'replication workers started');
  }

  /** Whether every BullMQ worker of this process is running (not closed); a liveness check. */
  allRunning(): boolean {
    return this.workers.length > 0 && this.workers.every((w) => w.isRunning());
  }

  /**
   * Stops taking jobs and lets running copies finish for `graceMs`; then aborts them and hands
   * them back to the queue (another worker resumes them where the destination's upload stands).
   */
  async close(graceMs: number): Promise<void> {
    const handBack = setTimeout(() => {
      for (const id of this.running) this.causes.set(id, 'shutdown');
      for (const worker of this.workers) worker.cancelAllJobs('shutdown');
    }, graceMs);
    try {
      await Promise.allSettled(this.workers.map((w) => w.close()));
    } finally {
      clearTimeout(handBack);
      this.subscriber.disconnect();
    }
  }

  private async track<T>(jobId: string, run: () => Promise<T>): Promise<T> {
    this.running.add(jobId);
    try {
      return await run();
    } finally {
      this.running.delete(jobId);
      this.causes.delete(jobId);
    }
  }

  private async scan(job: Job<ScanJobData>): Promise<number> {
    const rule = this.deps.planner.rule(job.data.rule);
    // A scheduler left by an older config: nothing to do.
    if (!rule) return 0;
    const jobs = await this.deps.planner.scan(rule, { trigger: job.data.trigger, onlyChanged: job.data.trigger === 'reconcile' });
    const ids = await this.deps.queues.enqueue(jobs, (d) => this.deps.state.copiedElsewhere(d));
    this.logger.info({ rule: rule.name, trigger: job.data.trigger, enqueued: ids.length }, 'replication scan');
    return ids.length;
  }

  private finished(job: Job<ReplicationJobData>, status: 'completed', result: CopyResult): void {
    const outcome: ReplicationOutcome = { jobId: job.id!, data: job.data, status, result, attempts: job.attemptsMade };
    this.logger.info({ ...jobFields(job), result }, 'replication copy completed');
    this.deps.onOutcome(outcome);
  }

  private failed(job: Job<ReplicationJobData>, err: Error): void {
    const final = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) {
      this.logger.warn({ ...jobFields(job), attempt: job.attemptsMade, err: err.message }, 'replication copy failed; will retry');
      return;
    }
    this.logger.error({ ...jobFields(job), attempts: job.attemptsMade, err: err.message }, 'replication copy failed');
    this.deps.onOutcome({ jobId: job.id!, data: job.data, status: 'failed', error: err.message, attempts: job.attemptsMade });
  }

  private async subscribeCancels(): Promise<void> {
    const channel = cancelChannel(this.deps.queues.keyPrefix);
    this.subscriber.on('message', (_channel: string, jobId: string) => {
      if (!this.running.has(jobId)) return;
      this.causes.set(jobId, 'cancelled');
      for (const worker of this.workers) if (worker.cancelJob(jobId, 'cancelled')) this.logger.info({ jobId }, 'replication copy cancelled');
    });
    await this.subscriber.subscribe(channel);
  }
}

function jobFields(job: Job<ReplicationJobData>): Record<string, unknown> {
  const d = job.data;
  return {
    jobId: job.id,
    rule: d.rule,
    trigger: d.trigger,
    source: `${d.source.backend}/${d.source.repository}`,
    destination: `${d.destination.backend}/${d.destination.repository}`,
    tag: d.tag,
    digest: d.digest,
  };
}
