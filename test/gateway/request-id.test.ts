import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { tempDir, waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  const dir = tempDir('request-id');
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    gateway = await startGateway({
      backends: { store: { type: 'local', path: join(dir.path, 'store') } },
      routes: [{ prefix: '', backend: 'store' }],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  const accessLine = async (reqId: string): Promise<Record<string, unknown>> => {
    await waitFor(`the access line of ${reqId}`, async () => logLines(gateway.logs).some((l) => l.msg === 'request' && l.reqId === reqId));
    return logLines(gateway.logs).find((l) => l.msg === 'request' && l.reqId === reqId)!;
  };

  test("a client's short, printable id is used: echoed, and on the access line", async () => {
    const id = 'ci-run:1234.build_7-a';
    const res = await client.request('GET', '/v2/', { headers: { 'x-request-id': id } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), id);
    assert.equal((await accessLine(id)).status, 200);
  });

  test('an error answer carries the id too', async () => {
    const id = 'trace-404';
    const res = await client.request('GET', '/v2/team/app/manifests/missing', { headers: { 'x-request-id': id } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-request-id'), id);
  });

  for (const [what, id] of [
    ['15,000 characters', `long${'x'.repeat(15_000)}`],
    ['characters outside [A-Za-z0-9._:-]', 'evil id <script>"{}'],
    ['129 characters', `a${'b'.repeat(128)}`],
  ] as const) {
    test(`an id of ${what} is replaced by a generated UUID, and never logged`, async () => {
      const res = await client.request('GET', '/v2/', { headers: { 'x-request-id': id } });
      assert.equal(res.status, 200);
      const generated = res.headers.get('x-request-id') ?? '';
      assert.match(generated, UUID);
      await accessLine(generated);
      const printed = gateway.logs.join('');
      assert.ok(!printed.includes(id.slice(0, 16)), 'the log holds no trace of the rejected id');
    });
  }

  test('without an id the gateway makes one per request', async () => {
    const [a, b] = await Promise.all([client.request('GET', '/v2/'), client.request('GET', '/v2/')]);
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    for (const id of ids) assert.match(id ?? '', UUID);
    assert.notEqual(ids[0], ids[1]);
  });
});
