import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort } from '../support/temp';
import { V2Client } from '../support/v2-client';

interface Listener {
  port: number;
  /** Requests (HTTP) or connections (TCP) received so far. */
  received: string[];
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
}

/** Accepts TCP connections and never writes a byte: a TLS client waits for a ServerHello forever. */
async function startSilentTcp(): Promise<Listener> {
  const sockets = new Set<Socket>();
  const received: string[] = [];
  const server = createNetServer(() => received.push('connection'));
  return { port: await listen(server, sockets), received, close: closer(server, sockets) };
}

/** Answers the `GET /v2/` ping, then leaves every other request hanging. */
async function startHungRegistry(): Promise<Listener> {
  const sockets = new Set<Socket>();
  const received: string[] = [];
  const server = createHttpServer((req, res) => {
    received.push(req.url ?? '');
    if (req.url === '/v2/') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return { port: await listen(server, sockets), received, close: closer(server, sockets) };
}

async function errorOf(res: Response): Promise<{ status: number; code?: string; message?: string }> {
  const body = (await res.json()) as { errors?: { code: string; message: string }[] };
  return { status: res.status, code: body.errors?.[0]?.code, message: body.errors?.[0]?.message };
}

/** What a client sees from a gateway whose upstream hangs or never finishes its handshake. */
describe('upstream deadlines through the gateway', () => {
  let silent: Listener;
  let hung: Listener;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    silent = await startSilentTcp();
    hung = await startHungRegistry();
    gateway = await startGateway({
      backends: {
        // https to a listener that never answers the ClientHello: only connectMs can end it.
        handshake: { type: 'registry', url: `https://127.0.0.1:${silent.port}`, timeouts: { connectMs: 300, readMs: 30_000, requestMs: 8_000 }, retries: 0 },
        hung: {
          type: 'registry', url: `http://127.0.0.1:${hung.port}`, timeouts: { connectMs: 1_000, readMs: 30_000, requestMs: 700 },
          circuitBreaker: { failures: 2, openSeconds: 600 },
        },
      },
      routes: [
        { prefix: 'handshake/', backend: 'handshake' },
        { prefix: 'hung/', backend: 'hung' },
      ],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await silent?.close();
    await hung?.close();
  });

  test('a TLS handshake that never completes is 503 UNAVAILABLE after connectMs ("connect timeout"), not at the request deadline', async () => {
    const started = Date.now();
    const error = await errorOf(await client.request('GET', '/v2/handshake/app/manifests/v1'));
    assert.deepEqual(error, { status: 503, code: 'UNAVAILABLE', message: 'backend handshake unreachable (connect timeout)' });
    assert.ok(silent.received.length >= 1, 'the handshake was attempted');
    // Only a guard against hanging: the request deadline (8 s) would say "request deadline".
    assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
  });

  test('a hung upstream is 503 at the request deadline; after 2 failures the circuit opens: fail fast with Retry-After, visible in /admin/v1/backends', async () => {
    for (let i = 0; i < 2; i++) {
      const error = await errorOf(await client.request('GET', `/v2/hung/app/manifests/v${i}`));
      assert.deepEqual(error, { status: 503, code: 'UNAVAILABLE', message: 'backend hung unreachable (no answer within the 700 ms request deadline)' });
    }
    assert.equal(hung.received.filter((path) => path.includes('/manifests/')).length, 2, 'one attempt each: a retry could not have finished in time');

    const res = await client.request('GET', '/v2/hung/app/tags/list');
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const retryAfter = Number(res.headers.get('retry-after'));
    const error = await errorOf(res);
    assert.equal(error.status, 503);
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message ?? '', /^backend hung is unavailable \(circuit open after 2 failures; retry in \d+s\)$/);
    assert.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After ${retryAfter}`);
    assert.equal(hung.received.filter((path) => path.includes('/tags/')).length, 0, 'nothing reached the upstream while open');

    const admin = (await (await fetch(`${gateway.url}/admin/v1/backends`)).json()) as { backends: { name: string; circuit?: { state: string; consecutiveFailures: number } }[] };
    const status = admin.backends.find((b) => b.name === 'hung');
    assert.equal(status?.circuit?.state, 'open');
    assert.equal(status?.circuit?.consecutiveFailures, 2);
  });
});
