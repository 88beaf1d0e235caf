import { Counter, Gauge, type Registry } from 'prom-client';
import type { QueueJobCounts } from './queue-job-counts';
import type { ReplicationOutcome } from './replication-workers';

/**
 * Replication's Prometheus metrics, on the registry of whichever process has them: the copies
 * that ended here (the gateway with inline workers, or a worker process), and, for the gateway,
 * the shared queues' job counts. Labels are backend names from the config and fixed words:
 * never a repository, tag or digest.
 */
export class ReplicationMetrics {
  private readonly copies: Counter<'source' | 'destination' | 'result'>;
  private readonly bytes: Counter<'source' | 'destination'>;

  constructor(private readonly registry: Registry) {
    this.copies = new Counter({
      name: 'gantry_replication_copies_total',
      help: 'Copies that ended in this process, by source and destination backend and result (completed; failed: after the last attempt, or cancelled).',
      labelNames: ['source', 'destination', 'result'] as const,
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'gantry_replication_copied_bytes_total',
      help: 'Blob bytes written to the destination by completed copies in this process, by source and destination backend.',
      labelNames: ['source', 'destination'] as const,
      registers: [registry],
    });
  }

  /** A copy ended for good (the workers' outcome callback). */
  copyEnded(outcome: ReplicationOutcome): void {
    const source = outcome.data.source.backend;
    const destination = outcome.data.destination.backend;
    this.copies.labels(source, destination, outcome.status).inc();
    const bytes = outcome.result?.bytesCopied ?? 0;
    if (bytes > 0) this.bytes.labels(source, destination).inc(bytes);
  }

  /**
   * `gantry_replication_queue_jobs{destination,state}` read at scrape time, and
   * `gantry_replication_queue_up`: 0 when Redis did not answer, and then the job counts are left out.
   */
  watchQueues(counts: QueueJobCounts): void {
    new Gauge({
      name: 'gantry_replication_queue_up',
      help: 'Whether the replication queues\' job counts could be read from Redis at the last scrape (0: gantry_replication_queue_jobs is left out).',
      registers: [this.registry],
      async collect() {
        this.set((await counts.read()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gantry_replication_queue_jobs',
      help: 'Copy jobs in the replication queues now, by destination backend and BullMQ state (shared by every gateway and worker on this Redis).',
      labelNames: ['destination', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const read = await counts.read();
        for (const [destination, byState] of read ?? []) {
          for (const [state, count] of Object.entries(byState)) this.labels(destination, state).set(count);
        }
      },
    });
  }
}
