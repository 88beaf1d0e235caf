import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort } from '../support/temp';
import { assertOciError, V2Client } from '../support/v2-client';

/** What a client sees when the upstream is down or refuses Gantry's credentials. */
describe('upstream failures reach the client as OCI errors', () => {
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    upstream = await startDistribution({ kind: 'htpasswd', users: { ci: 'right' } });
    const closedPort = await freePort();
    gateway = await startGateway({
      backends: {
        down: { type: 'registry', url: `http://127.0.0.1:${closedPort}`, timeouts: { connectMs: 500, readMs: 2000 }, retries: 1 },
        wrongpw: { type: 'registry', url: upstream.url, credentials: { username: 'ci', password: 'wrong-password-value' } },
      },
      routes: [
        { prefix: 'down/', backend: 'down' },
        { prefix: 'bad/', backend: 'wrongpw' },
      ],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
  });

  test('an unreachable upstream is 503 UNAVAILABLE, quickly', async () => {
    const started = Date.now();
    await assertOciError(await client.request('GET', '/v2/down/app/manifests/v1'), 503, 'UNAVAILABLE');
    await assertOciError(await client.request('GET', '/v2/down/app/tags/list'), 503, 'UNAVAILABLE');
    // Bounded by the configured timeouts and one retry, not by a hang.
    assert.ok(Date.now() - started < 20000);
  });

  test('rejected credentials are 401 UNAUTHORIZED naming the backend, and the password is never logged', async () => {
    const res = await client.request('GET', '/v2/bad/app/manifests/v1');
    const body = await res.text();
    assert.equal(res.status, 401, body);
    assert.match(body, /UNAUTHORIZED/);
    assert.match(body, /wrongpw/);
    assert.equal(res.headers.get('www-authenticate'), null, "the upstream's challenge is not the client's business");
    assert.ok(!gateway.logs.join('').includes('wrong-password-value'));
  });

  test('the catalog leaves out a backend that is down instead of failing', async () => {
    const res = await client.request('GET', '/v2/_catalog');
    assert.equal(res.status, 200);
  });
});
