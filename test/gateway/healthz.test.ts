import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort, tempDir } from '../support/temp';

/** Liveness answers while the process serves, whatever state the backends are in. */
describe('GET /healthz', () => {
  const dir = tempDir('healthz');
  let gateway: GatewayProcess;

  before(async () => {
    const closedPort = await freePort();
    gateway = await startGateway({
      backends: {
        store: { type: 'local', path: dir.path },
        down: { type: 'registry', url: `http://127.0.0.1:${closedPort}`, retries: 0 },
      },
      routes: [
        { prefix: 'down/', backend: 'down' },
        { prefix: '', backend: 'store' },
      ],
    });
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  test('is 200 with {"status":"ok"} as JSON, even with a backend down', async () => {
    const res = await fetch(`${gateway.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('HEAD is answered too, without a body', async () => {
    const res = await fetch(`${gateway.url}/healthz`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });
});
