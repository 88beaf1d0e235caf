import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { ReplicationConfig } from '#config';
import type { Registry } from '#registry';
import type { CopyProgress, CopyResult, ImageCopier } from './copy-contract';
import { RedisResumeStore } from './redis-resume-store';
import type { ReplicationJobData } from './replication-job';
import type { ReplicationQueues } from './replication-queues';
import type { ReplicationState } from './replication-state';

/** Progress is written to Redis at most this often per job. */
const PROGRESS_INTERVAL_MS = 500;

/** Why a running copy was aborted: an operator's cancel, or a shutdown handing the job back. */
export type AbortCause = 'cancelled' | 'shutdown';

/**
 * The copy job processor: thin, it builds a CopyRequest from the job and calls the engine.
 * An abort by shutdown puts the job back in the queue (another worker continues it from the
 * resume state); an abort by an operator fails it for good.
 */
export class CopyProcessor {
  constructor(
    private readonly deps: {
      copier: ImageCopier;
      backends: ReadonlyMap<string, Registry>;
      queues: ReplicationQueues;
      state: ReplicationState;
      config: ReplicationConfig;
      /** Why `signal` of a job was aborted, asked when it is. */
      abortCause: (jobId: string) => AbortCause | undefined;
    },
  ) {}

  async process(job: Job<ReplicationJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<CopyResult> {
    const data = job.data;
    const jobId = job.id!;
    const source = this.backend(data.source.backend);
    const destination = this.backend(data.destination.backend);
    const resume = new RedisResumeStore(this.deps.queues.connection, this.deps.queues.keyPrefix, jobId);
    const config = this.deps.config;
    let lastProgressAt = 0;
    const onProgress = (progress: CopyProgress): void => {
      const now = Date.now();
      const finished = progress.blobsDone === progress.blobsTotal && progress.manifestsDone === progress.manifestsTotal;
      if (now - lastProgressAt < PROGRESS_INTERVAL_MS && !finished) return;
      lastProgressAt = now;
      void job.updateProgress({ ...progress }).catch(() => undefined);
    };
    let result: CopyResult;
    try {
      result = await this.deps.copier.copy({
        source: { registry: source, repository: data.source.repository },
        reference: data.digest,
        destination: { registry: destination, repository: data.destination.repository },
        ...(data.tag !== undefined ? { tag: data.tag } : {}),
        chunkThresholdBytes: config.chunkThreshold,
        chunkBytes: config.chunkSize,
        blobConcurrency: config.blobConcurrency,
        ...(signal ? { signal } : {}),
        resume,
        onProgress,
      });
    } catch (err) {
      if (signal?.aborted) {
        const cause = this.deps.abortCause(jobId);
        if (cause === 'shutdown') {
          await job.moveToWait(token);
          throw new WaitingError('handed back at shutdown');
        }
        throw new UnrecoverableError('cancelled by an operator');
      }
      throw err;
    }
    if (result.digest !== data.digest) throw new Error(`copied ${result.digest}, expected ${data.digest}`);
    await resume.clear();
    await this.deps.state.recordCopied(data);
    return result;
  }

  private backend(name: string): Registry {
    const registry = this.deps.backends.get(name);
    // Config validation names every backend a rule uses: this is a worker started with another config.
    if (!registry) throw new UnrecoverableError(`backend ${name} is not configured in this worker`);
    return registry;
  }
}
