import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { closeServer, listen, sendOciError } from '../support/clouds/http-util';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { assertOciError, randomBlob, V2Client } from '../support/v2-client';

/** An upstream that answers every registry request with 429 and a long Retry-After (not worth waiting out). */
async function startThrottlingUpstream(retryAfter: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/v2/') {
      res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0', 'content-length': '2' }).end('{}');
      return;
    }
    sendOciError(res, 429, 'TOOMANYREQUESTS', 'slow down', { 'retry-after': retryAfter });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, server };
}

/**
 * The headers that make an error actionable reach the client of the gateway: an upstream's
 * Retry-After on 429, and Content-Range on 416 (from distribution and from the local store).
 */
describe('error responses keep their headers through the gateway', () => {
  const dir = tempDir('error-headers');
  const blob = randomBlob(1000);
  let throttling: { url: string; server: Server };
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let client: V2Client;

  before(async () => {
    throttling = await startThrottlingUpstream('120');
    upstream = await startDistribution();
    gateway = await startGateway({
      backends: {
        busy: { type: 'registry', url: throttling.url, retries: 0 },
        dist: { type: 'registry', url: upstream.url },
        store: { type: 'local', path: dir.path },
      },
      routes: [
        { prefix: 'busy/', backend: 'busy' },
        { prefix: 'dist/', backend: 'dist' },
        { prefix: '', backend: 'store' },
      ],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    if (throttling) await closeServer(throttling.server);
    dir.remove();
  });

  test('429 from the upstream carries its Retry-After to the client', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await client.request(method, '/v2/busy/app/manifests/v1');
      assert.equal(res.headers.get('retry-after'), '120', `${method}: Retry-After`);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      await assertOciError(res, 429, 'TOOMANYREQUESTS');
    }
  });

  test('416 from distribution carries Content-Range with the blob size', async () => {
    await client.pushBlob('dist/app', blob);
    const res = await client.request('GET', `/v2/dist/app/blobs/${blob.digest}`, { headers: { range: 'bytes=5000-' } });
    assert.equal(res.headers.get('content-range'), `bytes */${blob.bytes.length}`);
    await assertOciError(res, 416, 'RANGE_INVALID');
  });

  test('416 from the local store carries Content-Range with the blob size', async () => {
    await client.pushBlob('local/app', blob);
    for (const range of ['bytes=5000-', 'bytes=-0']) {
      const res = await client.request('GET', `/v2/local/app/blobs/${blob.digest}`, { headers: { range } });
      assert.equal(res.headers.get('content-range'), `bytes */${blob.bytes.length}`, range);
      await assertOciError(res, 416, 'RANGE_INVALID');
    }
  });
});
