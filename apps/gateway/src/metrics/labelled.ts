import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the request path. prom-client hashes the label object on every
 * `inc`/`observe`, even through `labels()` children; these keep one small record per label
 * combination (found by the joined values) and hand prom-client plain values only when scraped.
 */
abstract class Labelled<T> {
  protected readonly series = new Map<string, { labels: Record<string, string>; data: T }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The record for these label values (in labelNames order), created on first use; callers may keep it. */
  record(values: readonly string[]): T {
    const key = values.join('\u0000');
    let found = this.series.get(key);
    if (!found) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      found = { labels, data: this.create() };
      this.series.set(key, found);
    }
    return found.data;
  }

  protected abstract create(): T;
}

export interface CounterRecord {
  value: number;
}

export class FastCounter extends Labelled<CounterRecord> {
  readonly type = 'counter';

  inc(values: readonly string[], by = 1): void {
    this.record(values).value += by;
  }

  /** prom-client's Metric interface: read at scrape time. */
  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string>; value: number }[] } {
    const values = [...this.series.values()].map(({ labels, data }) => ({ labels, value: data.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }

  protected create(): CounterRecord {
    return { value: 0 };
  }
}

export interface HistogramData {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram extends Labelled<HistogramData> {
  readonly type = 'histogram';

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[], private readonly buckets: readonly number[]) {
    super(registry, name, help, labelNames);
  }

  observe(values: readonly string[], value: number): void {
    this.observeInto(this.record(values), value);
  }

  /** Adds `value` to a record this histogram handed out. */
  observeInto(data: HistogramData, value: number): void {
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    data.counts[i]!++;
    data.sum += value;
    data.count++;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, data } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += data.counts[i]!;
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: data.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: data.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: data.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }

  protected create(): HistogramData {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }
}

/** `2xx`, `4xx`…: the status class keeps the label set small. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? STATUS_CLASSES[Math.floor(status / 100)]! : 'other';
}
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);

/** A client may send any method token: only the known ones become label values. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}
