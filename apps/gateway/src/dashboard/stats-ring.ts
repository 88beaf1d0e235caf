/** Counter totals since the process started, as read at one moment. */
export interface TrafficTotals {
  /** Registry requests answered (v2 and /token; not the admin API, health or metrics). */
  requests: number;
  /** v2 answers the cache took part in, and those it served (fresh or stale). */
  cacheLookups: number;
  cacheHits: number;
}

/** One bucket of the history: its end, the request rate over it, and the cache hit ratio (null: no lookups). */
export interface TrafficSample {
  time: string;
  requestsPerSecond: number;
  cacheHitRatio: number | null;
}

/**
 * The last `capacity` buckets of traffic, from counter totals taken at each bucket's end:
 * bounded memory (one small record per bucket) whatever the traffic.
 */
export class StatsRing {
  private readonly samples: TrafficSample[] = [];
  private last?: { at: number; totals: TrafficTotals };

  constructor(private readonly capacity: number) {}

  /** Closes the bucket ending at `at` (ms since the epoch); the first call only sets the baseline. */
  record(at: number, totals: TrafficTotals): void {
    if (this.last) {
      this.samples.push(sampleBetween(this.last, { at, totals }));
      if (this.samples.length > this.capacity) this.samples.shift();
    }
    this.last = { at, totals };
  }

  /** Closed buckets, oldest first, and the bucket still filling up to `at` (when time has passed since the last). */
  history(at: number, current: TrafficTotals): TrafficSample[] {
    const open = this.last && at > this.last.at ? [sampleBetween(this.last, { at, totals: current })] : [];
    return [...this.samples, ...open];
  }
}

function sampleBetween(from: { at: number; totals: TrafficTotals }, to: { at: number; totals: TrafficTotals }): TrafficSample {
  const seconds = Math.max((to.at - from.at) / 1000, 0.001);
  // A counter only grows; a smaller total would be a restart of the source: count from zero.
  const delta = (key: keyof TrafficTotals) => Math.max(0, to.totals[key] - from.totals[key]);
  const lookups = delta('cacheLookups');
  return {
    time: new Date(to.at).toISOString(),
    requestsPerSecond: round(delta('requests') / seconds),
    cacheHitRatio: lookups > 0 ? round(delta('cacheHits') / lookups) : null,
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
