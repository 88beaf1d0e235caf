import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort, tempDir, waitFor } from '../support/temp';
import { jsonOf, V2Client } from '../support/v2-client';

/** The federated catalog answers with what arrived in time and names the backends it left out. */
describe('catalog with a hung backend', () => {
  const dir = tempDir('catalog-deadline');
  let upstream: Distribution;
  let hung: Server;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    // Accepts every request and never answers, the ping included.
    hung = createServer(() => undefined);
    const hungPort = await freePort();
    await new Promise<void>((resolve) => hung.listen(hungPort, '127.0.0.1', resolve));
    gateway = await startGateway({
      // A listing left behind must not hold shutdown: past the grace period the exit code is 1.
      server: { catalogTimeoutMs: 3_000, shutdownGraceSeconds: 10 },
      backends: {
        live: { type: 'registry', url: upstream.url },
        // Its own deadline is far longer than the catalog's: the catalog must not wait for it.
        dead: { type: 'registry', url: `http://127.0.0.1:${hungPort}`, timeouts: { requestMs: 120_000 } },
        store: { type: 'local', path: join(dir.path, 'store') },
      },
      routes: [
        { prefix: 'live/', backend: 'live' },
        { prefix: 'dead/', backend: 'dead' },
        { prefix: '', backend: 'store' },
      ],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    hung?.closeAllConnections();
    await new Promise<void>((resolve) => (hung ? hung.close(() => resolve()) : resolve()));
    await upstream?.stop();
    dir.remove();
  });

  test('the live names are returned, and a Warning header and a log line name the missing backend', async () => {
    await client.pushImage('live/team/app', 'v1');
    await client.pushImage('local/app', 'v1');

    const started = Date.now();
    const res = await client.request('GET', '/v2/_catalog');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('warning'), '199 gantry "catalog incomplete: backend dead unavailable"');
    assert.deepEqual((await jsonOf<{ repositories: string[] }>(res)).repositories, ['live/team/app', 'local/app']);
    // Only a guard against waiting on the dead backend's own 120 s deadline.
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
    // The log line travels through the gateway's stdout pipe: it may arrive just after the answer.
    await waitFor('a log line naming the backend', async () =>
      gateway.logs.join('').split('\n').some((line) => line.includes('catalog incomplete') && line.includes('"backend":"dead"')),
    );
  });

  test('a listing the catalog stopped waiting for does not hold shutdown (exit 0 within the grace period)', async () => {
    const res = await client.request('GET', '/v2/_catalog');
    assert.match(res.headers.get('warning') ?? '', /backend dead unavailable/);
    await res.arrayBuffer();
    // The dead backend's ping is still in flight (read timeout 30 s, deadline 120 s).
    assert.equal(await gateway.stop(), 0);
  });
});
