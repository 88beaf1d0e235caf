import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendObserver, UpstreamRequestOutcome } from '#registry';
import { Children, statusClass } from './labelled';

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

const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Gantry's Prometheus metrics, one registry per gateway. Every label value is bounded by the
 * configuration (backend, route prefix and rule names) or by a fixed vocabulary: never a
 * repository name, a tag or a digest. Also the upstream observer the backends report to.
 */
export class GantryMetrics implements BackendObserver {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'gantry_http_requests_total',
    help: 'Client requests answered, by route kind, backend, method and status class.',
    labelNames: ['route', 'backend', 'method', 'status_class'] as const,
    registers: [this.registry],
  });
  private readonly requestSeconds = new Histogram({
    name: 'gantry_http_request_duration_seconds',
    help: 'Time from request to the last response byte, by route kind and method.',
    labelNames: ['route', 'method'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  private readonly bytesIn = new Counter({
    name: 'gantry_http_received_bytes_total',
    help: 'Bytes received from clients (request line, headers and body), by backend.',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });
  private readonly bytesOut = new Counter({
    name: 'gantry_http_sent_bytes_total',
    help: 'Bytes sent to clients (status line, headers and body), by backend.',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });
  private readonly upstreamRequests = new Counter({
    name: 'gantry_upstream_requests_total',
    help: 'Logical requests to upstream registries (retries included), by backend, operation and status class (`error`: no answer).',
    labelNames: ['backend', 'operation', 'status_class'] as const,
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'gantry_upstream_errors_total',
    help: 'Upstream requests that failed: no answer (network, timeout, open circuit) or a 5xx, by backend and operation.',
    labelNames: ['backend', 'operation'] as const,
    registers: [this.registry],
  });
  private readonly upstreamSeconds = new Histogram({
    name: 'gantry_upstream_request_duration_seconds',
    help: 'Upstream request latency to the response headers, by backend and operation.',
    labelNames: ['backend', 'operation'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [this.registry],
  });
  private readonly cacheResults = new Counter({
    name: 'gantry_cache_requests_total',
    help: 'v2 answers the cache took part in, by route prefix, resource and result (hit, miss, stale).',
    labelNames: ['route_prefix', 'resource', 'result'] as const,
    registers: [this.registry],
  });
  private readonly authDecisions = new Counter({
    name: 'gantry_auth_decisions_total',
    help: 'Access decisions (the audit log\'s), by event and result.',
    labelNames: ['event', 'result'] as const,
    registers: [this.registry],
  });
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
  private readonly replicationQueue = new Gauge({
    name: 'gantry_replication_queue_jobs',
    help: 'Replication jobs in the queue now, by BullMQ state (waiting, active, delayed, failed).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly replicationBytes = new Counter({
    name: 'gantry_replication_copied_bytes_total',
    help: 'Blob bytes copied by replication, by source and destination backend.',
    labelNames: ['source', 'destination'] as const,
    registers: [this.registry],
  });

  private readonly requestChildren = new Children((v) => this.requests.labels(...v));
  private readonly requestSecondsChildren = new Children((v) => this.requestSeconds.labels(...v));
  private readonly bytesInChildren = new Children((v) => this.bytesIn.labels(...v));
  private readonly bytesOutChildren = new Children((v) => this.bytesOut.labels(...v));
  private readonly upstreamChildren = new Children((v) => this.upstreamRequests.labels(...v));
  private readonly upstreamSecondsChildren = new Children((v) => this.upstreamSeconds.labels(...v));
  private readonly cacheChildren = new Children((v) => this.cacheResults.labels(...v));

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // process_* and nodejs_*: CPU, memory, event loop lag, GC, handles.
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** One answered client request (the Fastify onResponse hook). */
  request(r: HandledRequest): void {
    this.requestChildren.get(r.route, r.backend, r.method, statusClass(r.status)).inc();
    this.requestSecondsChildren.get(r.route, r.method).observe(r.seconds);
    if (r.bytesIn > 0) this.bytesInChildren.get(r.backend).inc(r.bytesIn);
    if (r.bytesOut > 0) this.bytesOutChildren.get(r.backend).inc(r.bytesOut);
  }

  /** How the cache answered a v2 request (`bypass` is not counted: no cache took part). */
  cacheResult(routePrefix: string, resource: RequestRoute, result: 'hit' | 'miss' | 'stale'): void {
    this.cacheChildren.get(routePrefix, resource, result).inc();
  }

  upstreamRequest(outcome: UpstreamRequestOutcome): void {
    const failed = outcome.status === undefined || (outcome.status >= 500 && outcome.status !== 501);
    this.upstreamChildren.get(outcome.backend, outcome.operation, outcome.status === undefined ? 'error' : statusClass(outcome.status)).inc();
    this.upstreamSecondsChildren.get(outcome.backend, outcome.operation).observe(outcome.seconds);
    if (failed) this.upstreamErrors.labels(outcome.backend, outcome.operation).inc();
  }

  credentialRefresh(backend: string, result: 'success' | 'failure'): void {
    this.credentialRefreshes.labels(backend, result).inc();
  }

  authDecision(event: string, result: 'allow' | 'deny'): void {
    this.authDecisions.labels(event, result).inc();
  }

  // ---- for the replication side ----------------------------------------------------------

  /** A job of `rule` reached `state` (count once per transition). */
  replicationJob(rule: string, state: ReplicationJobState): void {
    this.replicationJobs.labels(rule, state).inc();
  }

  /** Jobs in the queue now by BullMQ state (from `queue.getJobCounts()`), e.g. before a scrape. */
  replicationQueueDepth(counts: Readonly<Record<string, number>>): void {
    for (const [state, count] of Object.entries(counts)) this.replicationQueue.labels(state).set(count);
  }

  /** Blob bytes a copy wrote to `destination`, read from `source` (both backend names). */
  replicationCopied(source: string, destination: string, bytes: number): void {
    if (bytes > 0) this.replicationBytes.labels(source, destination).inc(bytes);
  }

  /** The text exposition format, for `GET /metrics`. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
