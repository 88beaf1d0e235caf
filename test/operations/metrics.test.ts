import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { Scrape } from '../support/prometheus-text';
import { V2Client } from '../support/v2-client';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REPO = 'payments/ledger-api';

/** Counters after a scripted set of requests through a real distribution behind a counting front. */
describe('GET /metrics', () => {
  let upstream: Distribution;
  let front: CountingFront;
  let gateway: GatewayProcess;
  let client: V2Client;
  let image: Awaited<ReturnType<V2Client['pushImage']>>;

  before(async () => {
    upstream = await startDistribution();
    front = await startCountingFront(upstream.url);
    gateway = await startGateway({
      backends: { corp: { type: 'registry', url: front.url, retries: 0 } },
      routes: [{ prefix: 'corp/', backend: 'corp' }],
    });
    client = new V2Client(gateway.url);
    image = await new V2Client(upstream.url).pushImage(REPO, 'v1');
    // The first upstream request pings /v2/ to learn the challenge: out of the counted window.
    assert.equal((await client.request('GET', `/v2/corp/${REPO}/tags/list`)).status, 200);
  });
  after(async () => {
    await gateway?.stop();
    await front?.stop();
    await upstream?.stop();
  });

  test('counts requests, upstream calls and errors, cache results and bytes exactly', async () => {
    const start = await Scrape.of(gateway.url);
    front.reset();
    const byDigest = `/v2/corp/${REPO}/manifests/${image.manifest.digest}`;
    const miss = await client.request('GET', byDigest, { headers: { accept: OCI_MANIFEST } });
    assert.equal(miss.status, 200);
    assert.equal(miss.headers.get('x-gantry-cache'), 'miss');
    await miss.arrayBuffer();
    const hit = await client.request('GET', byDigest, { headers: { accept: OCI_MANIFEST } });
    assert.equal(hit.headers.get('x-gantry-cache'), 'hit');
    await hit.arrayBuffer();
    const blob = await client.request('GET', `/v2/corp/${REPO}/blobs/${image.layer.digest}`);
    assert.equal(blob.status, 200);
    assert.equal(Buffer.from(await blob.arrayBuffer()).length, image.layer.bytes.length);
    front.mode = 'fail-500';
    const failed = await client.request('GET', `/v2/corp/${REPO}/manifests/not-cached`, { headers: { accept: OCI_MANIFEST } });
    const failedClass = `${Math.floor(failed.status / 100)}xx`;
    assert.equal(failedClass, '5xx', `an upstream 500 is a 5xx for the client too, got ${failed.status}`);
    await failed.arrayBuffer();
    front.mode = 'relay';
    const unknown = await client.request('GET', '/v2/no/such/endpoint');
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();

    const end = await Scrape.of(gateway.url);
    const requests = (labels: Record<string, string>) => end.delta(start, 'gantry_http_requests_total', labels);
    assert.equal(requests({ route: 'manifest', backend: 'corp', method: 'GET', status_class: '2xx' }), 2);
    assert.equal(requests({ route: 'manifest', backend: 'corp', method: 'GET', status_class: '5xx' }), 1);
    assert.equal(requests({ route: 'blob', backend: 'corp', method: 'GET', status_class: '2xx' }), 1);
    assert.equal(requests({ route: 'other', backend: 'none', method: 'GET', status_class: '4xx' }), 1);
    // The first scrape was answered before its own counting; the second is not in itself yet.
    assert.equal(requests({ route: 'metrics', method: 'GET', status_class: '2xx' }), 1);
    assert.equal(end.delta(start, 'gantry_http_request_duration_seconds_count', { route: 'manifest', method: 'GET' }), 3);

    const upstreamCalls = (labels: Record<string, string>) => end.delta(start, 'gantry_upstream_requests_total', { backend: 'corp', ...labels });
    assert.equal(upstreamCalls({ operation: 'manifest', status_class: '2xx' }), 1, 'the hit did not go upstream');
    assert.equal(upstreamCalls({ operation: 'manifest', status_class: '5xx' }), 1);
    assert.equal(upstreamCalls({ operation: 'blob', status_class: '2xx' }), 1);
    assert.equal(upstreamCalls({}), front.count('GET', `/v2/${REPO}/manifests/${image.manifest.digest}`) + front.count('GET', `/v2/${REPO}/manifests/not-cached`) + front.count('GET', `/v2/${REPO}/blobs/${image.layer.digest}`), 'one count per request the upstream saw');
    assert.equal(end.delta(start, 'gantry_upstream_errors_total', { backend: 'corp', operation: 'manifest' }), 1);
    assert.equal(end.delta(start, 'gantry_upstream_errors_total', { backend: 'corp', operation: 'blob' }), 0);
    assert.equal(end.delta(start, 'gantry_upstream_request_duration_seconds_count', { backend: 'corp', operation: 'manifest' }), 2);

    const cache = (result: string) => end.delta(start, 'gantry_cache_requests_total', { route_prefix: 'corp/', resource: 'manifest', result });
    assert.equal(cache('miss'), 1);
    assert.equal(cache('hit'), 1);
    assert.equal(cache('stale'), 0);

    const sent = end.delta(start, 'gantry_http_sent_bytes_total', { backend: 'corp' });
    const minimum = image.layer.bytes.length + 2 * image.manifest.bytes.length;
    assert.ok(sent >= minimum, `sent ${sent} bytes for the corp backend, at least ${minimum} expected`);
    assert.ok(end.delta(start, 'gantry_http_received_bytes_total', { backend: 'corp' }) > 0);
  });

  test('counts pushed bytes in, and the process metrics are there', async () => {
    const start = await Scrape.of(gateway.url);
    const big = Buffer.alloc(256 * 1024, 7);
    const { createHash } = await import('node:crypto');
    await client.pushBlob(`corp/${REPO}`, { bytes: big, digest: `sha256:${createHash('sha256').update(big).digest('hex')}` });
    const end = await Scrape.of(gateway.url);
    const received = end.delta(start, 'gantry_http_received_bytes_total', { backend: 'corp' });
    assert.ok(received >= big.length, `received ${received} bytes, the blob alone is ${big.length}`);
    assert.ok(end.value('process_cpu_seconds_total', {}) > 0);
    assert.ok(end.value('nodejs_heap_size_used_bytes', {}) > 0);
  });

  test('no label value is a repository name, a reference or a digest', async () => {
    const scrape = await Scrape.of(gateway.url);
    const values = new Set(scrape.samples.flatMap((s) => Object.values(s.labels)));
    for (const value of values) {
      assert.ok(!value.includes('payments') && !value.includes('ledger'), `label value ${value} names a repository`);
      assert.ok(!/sha256|[0-9a-f]{32}/.test(value), `label value ${value} looks like a digest`);
      assert.ok(!value.includes('not-cached') && value !== 'v1', `label value ${value} is a reference`);
      assert.ok(!value.startsWith('/'), `label value ${value} is a URL path`);
    }
    const series = scrape.samples.filter((s) => s.name.startsWith('gantry_')).length;
    assert.ok(series < 400, `${series} gantry series after a handful of requests: a label is unbounded`);
  });

  test('gantry_upstream_circuit_open goes to 1 when the breaker opens (5 failures in a row)', async () => {
    assert.equal((await Scrape.of(gateway.url)).value('gantry_upstream_circuit_open', { backend: 'corp' }), 0);
    front.mode = 'fail-500';
    try {
      for (let i = 0; i < 5; i++) {
        const res = await client.request('GET', `/v2/corp/${REPO}/manifests/broken-${i}`, { headers: { accept: OCI_MANIFEST } });
        assert.equal(Math.floor(res.status / 100), 5);
        await res.arrayBuffer();
      }
    } finally {
      front.mode = 'relay';
    }
    const scrape = await Scrape.of(gateway.url);
    assert.equal(scrape.value('gantry_upstream_circuit_open', { backend: 'corp' }), 1);
    const refused = await client.request('GET', `/v2/corp/${REPO}/manifests/after-open`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(refused.status, 503);
    await refused.arrayBuffer();
    const after = await Scrape.of(gateway.url);
    assert.equal(after.delta(scrape, 'gantry_upstream_requests_total', { backend: 'corp' }), 0, 'a refused request never left Gantry');
  });
});

describe('server.metrics: false', () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({
      server: { metrics: false },
      backends: { store: { type: 'local', path: '/nonexistent-is-fine-for-this-test' } },
      routes: [{ prefix: '', backend: 'store' }],
    });
  });
  after(async () => {
    await gateway?.stop();
  });

  test('there is no /metrics endpoint', async () => {
    const res = await fetch(`${gateway.url}/metrics`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});
