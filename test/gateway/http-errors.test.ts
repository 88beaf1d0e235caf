import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { rawExchange, type RawResponse } from '../support/raw-http';
import { tempDir } from '../support/temp';
import { waitFor } from '../support/temp';

/**
 * Requests that fail before any route sees them (Node's HTTP parser, Fastify's URL decoding,
 * Node's Expect handling) still answer with an OCI error envelope, the API version header and
 * a request id, and each one leaves an access-log line.
 */
describe('errors before routing are OCI errors', () => {
  const dir = tempDir('http-errors');
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGateway({
      server: { headersTimeoutSeconds: 1 },
      backends: { store: { type: 'local', path: join(dir.path, 'store') } },
      routes: [{ prefix: '', backend: 'store' }],
    });
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  async function assertOciAnswer(res: RawResponse, status: number): Promise<void> {
    assert.equal(res.status, status, res.text.slice(0, 500));
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0', res.text.slice(0, 500));
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    const body = JSON.parse(res.body) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0]!.code, 'UNSUPPORTED');
    assert.ok(body.errors[0]!.message.length > 0);
    const reqId = res.headers['x-request-id'];
    assert.ok(reqId, 'the answer names its request id');
    // The access-log line may be written just after the answer.
    await waitFor(`an access-log line for ${reqId}`, async () =>
      logLines(gateway.logs).some((l) => l.msg === 'request' && l.reqId === reqId && l.status === status));
    assert.equal(logLines(gateway.logs).filter((l) => l.msg === 'request' && l.reqId === reqId).length, 1, 'exactly one access-log line');
  }

  const request = (lines: string[], body = ''): string => `${lines.join('\r\n')}\r\n\r\n${body}`;
  const put = (headers: string[], body = ''): string =>
    request(['PUT /v2/team/app/manifests/v1 HTTP/1.1', 'Host: gantry', 'Content-Type: application/vnd.oci.image.manifest.v1+json', ...headers], body);

  test('a URL with bad percent-encoding is 400', async () => {
    const res = await rawExchange(gateway.host, request(['GET /v2/team%zz/app/manifests/v1 HTTP/1.1', 'Host: gantry', 'Connection: close']));
    await assertOciAnswer(res, 400);
    const line = logLines(gateway.logs).find((l) => l.reqId === res.headers['x-request-id']);
    assert.equal(line?.method, 'GET');
    assert.equal(line?.url, '/v2/team%zz/app/manifests/v1');
  });

  for (const [what, text] of [
    ['an invalid Content-Length', put(['Content-Length: abc'])],
    ['two Content-Lengths', put(['Content-Length: 2', 'Content-Length: 3'], 'ab')],
    ['a Content-Length past any integer', put(['Content-Length: 99999999999999999999'])],
    ['Content-Length with Transfer-Encoding', put(['Content-Length: 5', 'Transfer-Encoding: chunked'], '0\r\n\r\n')],
    ['bad chunk framing', put(['Transfer-Encoding: chunked'], 'zz\r\nabc\r\n0\r\n\r\n')],
    ['a request line that is not HTTP', 'hello there\r\n\r\n'],
  ] as const) {
    test(`${what} is 400`, async () => {
      await assertOciAnswer(await rawExchange(gateway.host, text), 400);
    });
  }

  test('the access line of a malformed request names its method and URL', async () => {
    const res = await rawExchange(gateway.host, put(['Content-Length: abc']));
    await assertOciAnswer(res, 400);
    const line = logLines(gateway.logs).find((l) => l.reqId === res.headers['x-request-id']);
    assert.equal(line?.method, 'PUT');
    assert.equal(line?.url, '/v2/team/app/manifests/v1');
    assert.equal(line?.error, 'HPE_INVALID_CONTENT_LENGTH');
  });

  test('an unknown method is 501', async () => {
    await assertOciAnswer(await rawExchange(gateway.host, request(['FROB /v2/ HTTP/1.1', 'Host: gantry'])), 501);
  });

  test('CONNECT is 405: Gantry is no forward proxy', async () => {
    await assertOciAnswer(await rawExchange(gateway.host, request(['CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'])), 405);
  });

  test('headers over 16 KiB are 431', async () => {
    await assertOciAnswer(await rawExchange(gateway.host, request(['GET /v2/ HTTP/1.1', 'Host: gantry', `X-Padding: ${'a'.repeat(20 * 1024)}`])), 431);
  });

  test('headers that do not arrive within headersTimeoutSeconds are 408', async () => {
    // The request line and one header, then nothing: the server ends it, not the test's wait.
    await assertOciAnswer(await rawExchange(gateway.host, 'GET /v2/ HTTP/1.1\r\nHost: gantry\r\n', 30000), 408);
  });

  test('an Expect other than 100-continue is 417', async () => {
    await assertOciAnswer(await rawExchange(gateway.host, put(['Expect: bogus', 'Content-Length: 0'])), 417);
  });

  test('the gateway still answers normally afterwards', async () => {
    const res = await rawExchange(gateway.host, request(['GET /v2/ HTTP/1.1', 'Host: gantry', 'Connection: close']));
    assert.equal(res.status, 200);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
  });
});
