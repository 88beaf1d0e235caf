import { Counter, Gauge, Registry } from 'prom-client';
import type { BackendObserver, Registry as Backend, UpstreamRequestOutcome } from '#registry';
import { ReplicationMetrics } from '#replication';
import { type CounterRecord, FastCounter, FastHistogram, type HistogramData, statusClass } from './labelled';
import { collectProcessMetrics } from './process-metrics';

/** Where a request went, by kind (never its URL): the label values of the request metrics. */
export type RequestRoute =
  | 'base' | 'catalog' | 'manifest' | 'blob' | 'upload' | 'tags' | 'referrers' | 'token' | 'admin' | 'health' | 'metrics' | 'other';

export interface HandledRequest {
  route: RequestRoute;
  /** The backend the repository routes to; `none` for requests without a repository. */
  backend: string;
  method: string;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

/** What a replication job ended as (BullMQ's vocabulary, plus `skipped` for up-to-date copies). */
export type ReplicationJobState = 'queued' | 'completed' | 'failed' | 'retried' | 'skipped';

/** The series one kind of answered request adds to, found with one lookup per request. */
interface RequestSeries {
  count: CounterRecord;
  seconds: HistogramData;
  bytesIn: CounterRecord;
  bytesOut: CounterRecord;
}

const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Gantry's Prometheus metrics, one registry per gateway. Every label value is bounded by the
 * configuration (backend, route prefix and rule names) or by a fixed vocabulary: never a
 * repository name, a tag or a digest. Also the upstream observer the backends report to.
 */
export class GantryMetrics implements BackendObserver {
  readonly registry = new Registry();
  /** Copies by inline workers, and the shared queues' job counts (watchQueues, with replication configured). */
  readonly replication = new ReplicationMetrics(this.registry);

  private readonly requests = new FastCounter(
    this.registry,
    'gantry_http_requests_total',
    'Client requests answered, by route kind, backend, method and status class.',
    ['route', 'backend', 'method', 'status_class'],
  );
  private readonly requestSeconds = new FastHistogram(
    this.registry,
    'gantry_http_request_duration_seconds',
    'Time from request to the last response byte, by route kind and method.',
    ['route', 'method'],
    REQUEST_BUCKETS,
  );
  private readonly bytesIn = new FastCounter(
    this.registry,
    'gantry_http_received_bytes_total',
    'Bytes received from clients (request line, headers and body), by backend.',
    ['backend'],
  );
  private readonly bytesOut = new FastCounter(
    this.registry,
    'gantry_http_sent_bytes_total',
    'Bytes sent to clients (status line, headers and body), by backend.',
    ['backend'],
  );
  private readonly upstreamRequests = new FastCounter(
    this.registry,
    'gantry_upstream_requests_total',
    'Logical requests to upstream registries (retries included), by backend, operation and status class (`error`: no answer).',
    ['backend', 'operation', 'status_class'],
  );
  private readonly upstreamErrors = new FastCounter(
    this.registry,
    'gantry_upstream_errors_total',
    'Upstream requests that failed: no answer (network error, timeout) or a 5xx, by backend and operation.',
    ['backend', 'operation'],
  );
  private readonly upstreamSeconds = new FastHistogram(
    this.registry,
    'gantry_upstream_request_duration_seconds',
    'Upstream request latency to the response headers, by backend and operation.',
    ['backend', 'operation'],
    UPSTREAM_BUCKETS,
  );
  private readonly cacheResults = new FastCounter(
    this.registry,
    'gantry_cache_requests_total',
    'v2 answers the cache took part in, by route prefix, resource and result (hit, miss, stale).',
    ['route_prefix', 'resource', 'result'],
  );
  private readonly authDecisions = new FastCounter(
    this.registry,
    'gantry_auth_decisions_total',
    'Access decisions (the audit log\'s), by event and result.',
    ['event', 'result'],
  );
  private readonly credentialRefreshes = new Counter({
    name: 'gantry_credential_refreshes_total',
    help: 'Cloud credential fetches (ECR, Google, ACR), by backend and result.',
    labelNames: ['backend', 'result'] as const,
    registers: [this.registry],
  });
  private readonly replicationJobs = new Counter({
    name: 'gantry_replication_jobs_total',
    help: 'Replication jobs by rule and state reached (queued, completed, failed, retried, skipped).',
    labelNames: ['rule', 'state'] as const,
    registers: [this.registry],
  });

  /** By route, backend, method and exact status: all bounded, and one Map lookup per request. */
  private readonly requestSeries = new Map<string, RequestSeries>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // process_* and nodejs_*: CPU, memory, event loop lag, heap, handles.
    if (options.defaultMetrics !== false) collectProcessMetrics(this.registry);
  }

  /** One answered client request (the Fastify onResponse hook). */
  request(r: HandledRequest): void {
    const key = `${r.route} ${r.backend} ${r.method} ${r.status}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      series = {
        count: this.requests.record([r.route, r.backend, r.method, statusClass(r.status)]),
        seconds: this.requestSeconds.record([r.route, r.method]),
        bytesIn: this.bytesIn.record([r.backend]),
        bytesOut: this.bytesOut.record([r.backend]),
      };
      this.requestSeries.set(key, series);
    }
    series.count.value++;
    this.requestSeconds.observeInto(series.seconds, r.seconds);
    series.bytesIn.value += r.bytesIn;
    series.bytesOut.value += r.bytesOut;
  }

  /** How the cache answered a v2 request (`bypass` is not counted: no cache took part). */
  cacheResult(routePrefix: string, resource: RequestRoute, result: 'hit' | 'miss' | 'stale'): void {
    this.cacheResults.inc([routePrefix, resource, result]);
  }

  upstreamRequest(outcome: UpstreamRequestOutcome): void {
    const failed = outcome.status === undefined || (outcome.status >= 500 && outcome.status !== 501);
    this.upstreamRequests.inc([outcome.backend, outcome.operation, outcome.status === undefined ? 'error' : statusClass(outcome.status)]);
    this.upstreamSeconds.observe([outcome.backend, outcome.operation], outcome.seconds);
    if (failed) this.upstreamErrors.inc([outcome.backend, outcome.operation]);
  }

  credentialRefresh(backend: string, result: 'success' | 'failure'): void {
    this.credentialRefreshes.labels(backend, result).inc();
  }

  authDecision(event: string, result: 'allow' | 'deny'): void {
    this.authDecisions.inc([event, result]);
  }

  // ---- for the replication side ----------------------------------------------------------

  /** A job of `rule` reached `state` (count once per transition). */
  replicationJob(rule: string, state: ReplicationJobState): void {
    this.replicationJobs.labels(rule, state).inc();
  }

  /**
   * `gantry_upstream_circuit_open{backend}`: 1 while a backend's circuit breaker refuses requests,
   * read from the backends' status at scrape time (nothing on the request path).
   */
  watchCircuits(backends: ReadonlyMap<string, Backend>): void {
    new Gauge({
      name: 'gantry_upstream_circuit_open',
      help: 'Whether a backend\'s circuit breaker is open (requests fail fast without reaching the upstream), by backend.',
      labelNames: ['backend'] as const,
      registers: [this.registry],
      async collect() {
        await Promise.all([...backends].map(async ([name, backend]) => {
          const circuit = (await backend.status().catch(() => undefined))?.circuit as { state?: string } | undefined;
          if (circuit) this.labels(name).set(circuit.state === 'open' ? 1 : 0);
        }));
      },
    });
  }

  /** The text exposition format, for `GET /metrics`. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
