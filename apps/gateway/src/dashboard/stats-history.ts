import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GantryMetrics } from '../metrics/gantry-metrics';
import { StatsRing, type TrafficSample, type TrafficTotals } from './stats-ring';

export const STATS_INTERVAL_SECONDS = 10;
/** One hour of buckets. */
const CAPACITY = 3600 / STATS_INTERVAL_SECONDS;

/** Request kinds that are not registry traffic: the dashboard's own polling must not show as load. */
const NOT_TRAFFIC = new Set(['admin', 'health', 'metrics']);

interface MetricValues {
  values: { labels: Record<string, string | number>; value: number }[];
}

/**
 * Requests per second and cache hit ratio over the last hour, for the dashboard: GantryMetrics'
 * counters sampled every 10 s into a ring of 360 buckets.
 */
@Injectable()
export class StatsHistory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ring = new StatsRing(CAPACITY);
  private timer?: NodeJS.Timeout;

  constructor(private readonly metrics: GantryMetrics) {}

  async onApplicationBootstrap(): Promise<void> {
    this.ring.record(Date.now(), await this.totals());
    this.timer = setInterval(() => void this.sample(), STATS_INTERVAL_SECONDS * 1000);
    // Sampling never keeps the process alive.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async history(): Promise<{ intervalSeconds: number; samples: TrafficSample[] }> {
    return { intervalSeconds: STATS_INTERVAL_SECONDS, samples: this.ring.history(Date.now(), await this.totals()) };
  }

  private async sample(): Promise<void> {
    this.ring.record(Date.now(), await this.totals());
  }

  private async totals(): Promise<TrafficTotals> {
    const requests = await this.read('gantry_http_requests_total');
    const cache = await this.read('gantry_cache_requests_total');
    const sum = (values: MetricValues['values']) => values.reduce((total, v) => total + v.value, 0);
    return {
      requests: sum(requests.filter((v) => !NOT_TRAFFIC.has(String(v.labels.route)))),
      cacheLookups: sum(cache),
      cacheHits: sum(cache.filter((v) => v.labels.result === 'hit' || v.labels.result === 'stale')),
    };
  }

  private async read(name: string): Promise<MetricValues['values']> {
    const metric = this.metrics.registry.getSingleMetric(name);
    return metric ? ((await metric.get()) as MetricValues).values : [];
  }
}
