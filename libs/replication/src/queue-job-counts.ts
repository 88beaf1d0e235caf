/** The BullMQ states a copy job can be in; the label values of the queue gauge. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'paused', 'completed', 'failed'] as const;

/** Jobs per state of each destination's copy queue; undefined when Redis did not answer in time. */
export type JobCountsByDestination = ReadonlyMap<string, Readonly<Record<string, number>>>;

/** What the counts are read from: ReplicationQueues, structurally (a spec passes a plain fake). */
export interface CountableQueues {
  destinations(): string[];
  copyQueue(destination: string): { getJobCounts(...types: string[]): Promise<Record<string, number>> };
}

export interface QueueJobCountsOptions {
  /** A read is reused this long, so that a scrape storm sends Redis one round per window. */
  maxAgeMs: number;
  /** A read not answered by then counts as failed (BullMQ's connection waits for Redis forever). */
  timeoutMs: number;
  now?: () => number;
}

/**
 * Job counts of the copy queues, read from Redis when asked (at scrape time) and reused for a
 * few seconds; a failed read is reused as well, so that an outage does not pile up commands.
 */
export class QueueJobCounts {
  private last: { at: number; read: Promise<JobCountsByDestination | undefined> } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly queues: CountableQueues,
    private readonly options: QueueJobCountsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  read(): Promise<JobCountsByDestination | undefined> {
    const now = this.now();
    if (!this.last || now - this.last.at >= this.options.maxAgeMs) this.last = { at: now, read: this.readNow() };
    return this.last.read;
  }

  private async readNow(): Promise<JobCountsByDestination | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.options.timeoutMs);
      timer.unref();
    });
    const counts = (async (): Promise<JobCountsByDestination> => {
      const destinations = this.queues.destinations();
      const all = await Promise.all(destinations.map((d) => this.queues.copyQueue(d).getJobCounts(...QUEUE_STATES)));
      return new Map(destinations.map((d, i) => [d, all[i]!]));
    })();
    try {
      return await Promise.race([counts.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
