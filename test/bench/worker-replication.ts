import type { CopyResult, ReplicationJobView } from '#replication';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { peakRssDuring, rssOf } from '../support/rss';
import { startWorker, type WorkerProcess } from '../support/worker-process';
import type { TimedCopy } from './skopeo-copy';

const RULE = 'bench';
const POLL_MS = 100;

export interface WorkerCopy extends TimedCopy {
  result: CopyResult;
  /** The worker's RSS just before the copy was enqueued (started, idle). */
  idleRss: number;
  /** Of `seconds`, those before the worker took the job: the run request, the enqueue, the pickup. */
  queuedSeconds: number;
}

/**
 * Gantry as an operator runs replication: a redis-server, a gateway (for the admin API) and one
 * worker process (`npm run worker`), one config with a `manual` rule from `src` to `dst` and the
 * replication defaults, except one attempt per job (a retry would hide a failure in the timing).
 */
export class WorkerReplication {
  private constructor(
    private readonly redis: RedisProcess,
    private readonly gateway: GatewayProcess,
    private readonly worker: WorkerProcess,
  ) {}

  static async start(sourceUrl: string, destinationUrl: string, repository: string): Promise<WorkerReplication> {
    const redis = await startRedis();
    const config = {
      server: { logLevel: 'warn' },
      redis: { url: redis.url },
      backends: { src: { type: 'registry', url: sourceUrl }, dst: { type: 'registry', url: destinationUrl } },
      routes: [{ prefix: '', backend: 'src' }],
      replication: {
        workers: 'external',
        attempts: 1,
        ...(process.env.BENCH_CHUNK ? { chunkSize: process.env.BENCH_CHUNK } : {}),
        ...(process.env.BENCH_THRESHOLD ? { chunkThreshold: process.env.BENCH_THRESHOLD } : {}),
        rules: [{ name: RULE, source: { backend: 'src', repositories: [repository] }, destinations: [{ backend: 'dst' }], triggers: ['manual'] }],
      },
    };
    const started: { gateway?: GatewayProcess; worker?: WorkerProcess } = {};
    try {
      started.gateway = await startGateway(config);
      // The worker logs at info: startWorker waits for its "running" line.
      started.worker = await startWorker({ ...config, server: { logLevel: 'info' } });
      return new WorkerReplication(redis, started.gateway, started.worker);
    } catch (err) {
      await started.gateway?.stop();
      await redis.stop();
      throw err;
    }
  }

  /**
   * Runs the rule for `repository` (`POST /admin/v1/replication/run`) and waits for its one job.
   * Time: from the request to the job's `finishedAt` (stamped by the worker), so polling adds nothing.
   */
  async copy(repository: string): Promise<WorkerCopy> {
    const idleRss = rssOf(this.worker.pid);
    const { result: job, peak } = await peakRssDuring(this.worker.pid, async () => {
      const started = Date.now();
      const id = await this.run(repository);
      return { started, view: await this.untilFinished(id) };
    });
    return {
      seconds: (Date.parse(job.view.finishedAt!) - job.started) / 1000,
      queuedSeconds: (Date.parse(job.view.startedAt!) - job.started) / 1000,
      peakRss: peak,
      idleRss,
      result: job.view.result as CopyResult,
    };
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.gateway.stop();
    await this.redis.stop();
  }

  private async run(repository: string): Promise<string> {
    const res = await fetch(`${this.gateway.url}/admin/v1/replication/run`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rule: RULE, repository }),
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`replication run answered ${res.status}: ${text}`);
    const { jobs } = JSON.parse(text) as { jobs: string[] };
    if (jobs.length !== 1) throw new Error(`replication run enqueued ${jobs.length} jobs, not 1: ${text}`);
    return jobs[0]!;
  }

  private async untilFinished(id: string): Promise<ReplicationJobView> {
    for (;;) {
      const res = await fetch(`${this.gateway.url}/admin/v1/replication/jobs/${encodeURIComponent(id)}`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`job ${id}: ${res.status} ${text}`);
      const view = JSON.parse(text) as ReplicationJobView;
      if (view.state === 'completed') return view;
      if (view.state === 'failed') throw new Error(`job ${id} failed: ${view.failedReason}\n${this.worker.logs.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
