import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GantryMetrics } from './gantry-metrics';

/** The typed API the replication side and the backends call, as Prometheus sees it. */
describe('GantryMetrics', () => {
  const linesOf = async (metrics: GantryMetrics, prefix: string): Promise<string[]> =>
    (await metrics.render()).body.split('\n').filter((line) => line.startsWith(prefix));

  test('replication: jobs by rule and state, queue depth by state, copied bytes by source and destination', async () => {
    const metrics = new GantryMetrics({ defaultMetrics: false });
    metrics.replicationJob('ecr-to-gar', 'queued');
    metrics.replicationJob('ecr-to-gar', 'queued');
    metrics.replicationJob('ecr-to-gar', 'completed');
    metrics.replicationQueueDepth({ waiting: 3, active: 1 });
    metrics.replicationQueueDepth({ waiting: 0, active: 2 });
    metrics.replicationCopied('ecr-prod', 'gar-eu', 1000);
    metrics.replicationCopied('ecr-prod', 'gar-eu', 24);
    assert.deepEqual(await linesOf(metrics, 'gantry_replication_'), [
      'gantry_replication_jobs_total{rule="ecr-to-gar",state="queued"} 2',
      'gantry_replication_jobs_total{rule="ecr-to-gar",state="completed"} 1',
      'gantry_replication_queue_jobs{state="waiting"} 0',
      'gantry_replication_queue_jobs{state="active"} 2',
      'gantry_replication_copied_bytes_total{source="ecr-prod",destination="gar-eu"} 1024',
    ]);
  });

  test('upstream outcomes: no answer is `error` and an error; a 5xx an error; a 501 and a 404 are not', async () => {
    const metrics = new GantryMetrics({ defaultMetrics: false });
    for (const status of [200, 404, 501, 503, undefined]) metrics.upstreamRequest({ backend: 'corp', operation: 'manifest', status, seconds: 0.01 });
    assert.deepEqual(await linesOf(metrics, 'gantry_upstream_requests_total'), [
      'gantry_upstream_requests_total{backend="corp",operation="manifest",status_class="2xx"} 1',
      'gantry_upstream_requests_total{backend="corp",operation="manifest",status_class="4xx"} 1',
      'gantry_upstream_requests_total{backend="corp",operation="manifest",status_class="5xx"} 2',
      'gantry_upstream_requests_total{backend="corp",operation="manifest",status_class="error"} 1',
    ]);
    assert.deepEqual(await linesOf(metrics, 'gantry_upstream_errors_total'), ['gantry_upstream_errors_total{backend="corp",operation="manifest"} 2']);
    assert.deepEqual(await linesOf(metrics, 'gantry_upstream_request_duration_seconds_count'), [
      'gantry_upstream_request_duration_seconds_count{backend="corp",operation="manifest"} 5',
    ]);
  });

  test('requests: one series per route, backend, method and status class; bytes by backend', async () => {
    const metrics = new GantryMetrics({ defaultMetrics: false });
    const request = { route: 'blob', backend: 'hub', method: 'GET', seconds: 0.2, bytesIn: 100, bytesOut: 5000 } as const;
    metrics.request({ ...request, status: 200 });
    metrics.request({ ...request, status: 206 });
    metrics.request({ ...request, status: 404, bytesOut: 300 });
    assert.deepEqual(await linesOf(metrics, 'gantry_http_requests_total'), [
      'gantry_http_requests_total{route="blob",backend="hub",method="GET",status_class="2xx"} 2',
      'gantry_http_requests_total{route="blob",backend="hub",method="GET",status_class="4xx"} 1',
    ]);
    assert.deepEqual(await linesOf(metrics, 'gantry_http_sent_bytes_total'), ['gantry_http_sent_bytes_total{backend="hub"} 10300']);
    assert.deepEqual(await linesOf(metrics, 'gantry_http_received_bytes_total'), ['gantry_http_received_bytes_total{backend="hub"} 300']);
    assert.deepEqual(await linesOf(metrics, 'gantry_http_request_duration_seconds_count'), ['gantry_http_request_duration_seconds_count{route="blob",method="GET"} 3']);
  });
});
