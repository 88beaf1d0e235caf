import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReplicationOutcome } from '#replication';
import { GantryMetrics } from './gantry-metrics';

/** The typed API the replication side and the backends call, as Prometheus sees it. */
describe('GantryMetrics', () => {
  const linesOf = async (metrics: GantryMetrics, prefix: string): Promise<string[]> =>
    (await metrics.render()).body.split('\n').filter((line) => line.startsWith(prefix));

  test('replication: jobs by rule and state; copies and copied bytes by source, destination and result', async () => {
    const metrics = new GantryMetrics({ defaultMetrics: false });
    metrics.replicationJob('ecr-to-gar', 'queued');
    metrics.replicationJob('ecr-to-gar', 'queued');
    metrics.replicationJob('ecr-to-gar', 'completed');
    const outcome = (status: 'completed' | 'failed', bytesCopied: number): ReplicationOutcome => ({
      jobId: 'j',
      status,
      attempts: 1,
      data: {
        rule: 'ecr-to-gar', trigger: 'on-push', digest: `sha256:${'a'.repeat(64)}`,
        source: { backend: 'ecr-prod', repository: 'payments/api' }, destination: { backend: 'gar-eu', repository: 'payments/api' },
      },
      ...(status === 'completed' ? { result: { digest: `sha256:${'a'.repeat(64)}`, manifests: 1, referrers: 0, blobsCopied: 2, blobsSkipped: 0, blobsMounted: 0, bytesCopied } } : {}),
    });
    metrics.replication.copyEnded(outcome('completed', 1000));
    metrics.replication.copyEnded(outcome('completed', 24));
    metrics.replication.copyEnded(outcome('failed', 0));
    assert.deepEqual(await linesOf(metrics, 'gantry_replication_'), [
      'gantry_replication_copies_total{source="ecr-prod",destination="gar-eu",result="completed"} 2',
      'gantry_replication_copies_total{source="ecr-prod",destination="gar-eu",result="failed"} 1',
      'gantry_replication_copied_bytes_total{source="ecr-prod",destination="gar-eu"} 1024',
      'gantry_replication_jobs_total{rule="ecr-to-gar",state="queued"} 2',
      'gantry_replication_jobs_total{rule="ecr-to-gar",state="completed"} 1',
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
