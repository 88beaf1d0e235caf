import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { createRedisClient, type RedisClient, type RedisConfig } from '#cache';
import type { ReplicationConfig } from '#config';
import { copyQueueName, replicationJobId, SCAN_QUEUE, type ReplicationJobData, type ScanJobData } from './replication-job';

/** Completed jobs are kept a week (and at most this many): a repeated trigger finds them and copies nothing. */
const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 10_000 };

/**
 * The BullMQ queues of replication on the configured Redis: one copy queue per destination
 * backend (its concurrency and rate limit are that destination's), and the scan queue of the
 * cron and reconcile schedulers. Shared by the gateway, the workers and the admin API.
 */
export class ReplicationQueues {
  readonly prefix: string;
  readonly keyPrefix: string;
  readonly connection: RedisClient;
  private readonly copyQueues = new Map<string, Queue<ReplicationJobData>>();
  private scan: Queue<ScanJobData> | undefined;

  constructor(
    private readonly redis: RedisConfig,
    private readonly config: ReplicationConfig,
  ) {
    this.keyPrefix = redis.keyPrefix;
    // Cluster: every key of a queue must hash to one slot.
    this.prefix = redis.cluster ? `{${redis.keyPrefix}bull}` : `${redis.keyPrefix}bull`;
    this.connection = this.newConnection('gantry-replication');
  }

  /** A connection as BullMQ needs it (no retry limit per request, commands wait while reconnecting). */
  newConnection(name: string): RedisClient {
    return createRedisClient(this.redis, { connectionName: name, overrides: { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined } });
  }

  /** Destination backends of every rule. */
  destinations(): string[] {
    return [...new Set(this.config.rules.flatMap((r) => r.destinations.map((d) => d.backend)))].sort();
  }

  copyQueue(destinationBackend: string): Queue<ReplicationJobData> {
    let queue = this.copyQueues.get(destinationBackend);
    if (!queue) {
      queue = new Queue<ReplicationJobData>(copyQueueName(destinationBackend), { connection: this.connection as ConnectionOptions, prefix: this.prefix });
      this.copyQueues.set(destinationBackend, queue);
    }
    return queue;
  }

  scanQueue(): Queue<ScanJobData> {
    this.scan ??= new Queue<ScanJobData>(SCAN_QUEUE, { connection: this.connection as ConnectionOptions, prefix: this.prefix });
    return this.scan;
  }

  /**
   * Adds copy jobs. A job whose id is there already is not added again (a trigger seen twice
   * copies once), except: a failed one is retried, and a completed one whose tag has pointed
   * elsewhere since (`copiedElsewhere`: the destination got another digest last) is run again.
   * Returns the ids.
   */
  async enqueue(jobs: readonly ReplicationJobData[], copiedElsewhere: (data: ReplicationJobData) => Promise<boolean> = async () => false): Promise<string[]> {
    const ids: string[] = [];
    for (const data of jobs) {
      const jobId = replicationJobId(data);
      const existing = await this.copyQueue(data.destination.backend).getJob(jobId);
      const state = existing && (await existing.getState());
      if (existing && state === 'failed') {
        await existing.retry('failed', { resetAttemptsMade: true });
        ids.push(jobId);
        continue;
      }
      if (existing && state === 'completed' && (await copiedElsewhere(data))) await existing.remove();
      const options: JobsOptions = {
        jobId,
        attempts: this.config.attempts,
        backoff: { type: 'exponential', delay: this.config.backoff },
        removeOnComplete: KEEP_COMPLETED,
        // Failed jobs stay, with their error, until retried or deleted: the dead letter.
        removeOnFail: false,
      };
      await this.copyQueue(data.destination.backend).add('copy', data, options);
      ids.push(jobId);
    }
    return ids;
  }

  /**
   * Per-destination limits over all workers: the smallest concurrency and rate any rule gives
   * for the backend (Docker Hub's pull/push budget is one per account, not per rule).
   */
  async applyDestinationLimits(): Promise<void> {
    for (const backend of this.destinations()) {
      const settings = this.config.rules.flatMap((r) => r.destinations.filter((d) => d.backend === backend));
      const concurrency = minimum(settings.map((d) => d.concurrency));
      const perMinute = minimum(settings.map((d) => d.perMinute));
      const queue = this.copyQueue(backend);
      if (concurrency !== undefined) await queue.setGlobalConcurrency(concurrency);
      else await queue.removeGlobalConcurrency();
      if (perMinute !== undefined) await queue.setGlobalRateLimit(perMinute, 60_000);
      else await queue.removeGlobalRateLimit();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.copyQueues.values(), ...(this.scan ? [this.scan] : [])].map((q) => q.close()));
    this.connection.disconnect();
  }
}

function minimum(values: readonly (number | undefined)[]): number | undefined {
  const given = values.filter((v): v is number => v !== undefined);
  return given.length > 0 ? Math.min(...given) : undefined;
}
