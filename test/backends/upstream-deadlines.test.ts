import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { GenericRegistry } from '../../libs/registry/src/backends/generic';
import { rejectsWith } from '../support/oci-assert';
import { freePort } from '../support/temp';

/**
 * A stand-in upstream that counts what it receives; `answer` returns false to leave a request
 * hanging (the socket stays open, nothing is ever written).
 */
interface StandIn {
  url: string;
  count(pathPart: string): number;
  close(): Promise<void>;
}

async function startStandIn(answer: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<StandIn> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    answer(req, res);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    count: (pathPart) => seen.filter((path) => path === pathPart || (pathPart !== '/v2/' && path.includes(pathPart))).length,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const hangEverything = (): boolean => false;
const pingOk = (req: IncomingMessage, res: ServerResponse): boolean => {
  if (req.url !== '/v2/') return false;
  res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  return true;
};

/** A clock that moves only when the test says so. */
function manualClock(): { now(): number; advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

interface RegistryOptions {
  readMs?: number;
  requestMs?: number;
  retries?: number;
  failures?: number;
  openSeconds?: number;
  clock?: { now(): number };
}

function registryAt(url: string, options: RegistryOptions = {}): GenericRegistry {
  return new GenericRegistry({
    name: 'corp', type: 'registry', url, blobMode: 'proxy',
    timeouts: { connectMs: 1000, readMs: options.readMs ?? 10_000, requestMs: options.requestMs ?? 1_000 },
    retries: options.retries ?? 2,
    circuitBreaker: { failures: options.failures ?? 5, openSeconds: options.openSeconds ?? 30 },
    ...(options.clock ? { clock: options.clock.now } : {}),
    logger: pino({ level: 'silent' }),
  });
}

async function circuitOf(registry: GenericRegistry): Promise<{ state: string; consecutiveFailures: number }> {
  return (await registry.status()).circuit as { state: string; consecutiveFailures: number };
}

describe('upstream deadlines', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function standIn(answer: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<StandIn> {
    const s = await startStandIn(answer);
    cleanup.push(() => s.close());
    return s;
  }
  function registry(url: string, options?: RegistryOptions): GenericRegistry {
    const r = registryAt(url, options);
    cleanup.push(() => r.close());
    return r;
  }

  test('a hung upstream answers 503 UNAVAILABLE at the request deadline, with default retries, not 3 × the read timeout', async () => {
    const upstream = await standIn(pingOk);
    const corp = registry(upstream.url, { readMs: 10_000, requestMs: 1_000 });
    const started = Date.now();
    const err = await rejectsWith(corp.getManifest('team/app', 'v1', []), 'UNAVAILABLE', /backend corp unreachable \(no answer within the 1000 ms request deadline\)/);
    assert.equal(err.status, 503);
    // A guard against hanging, far from the deadline: one read timeout alone would be 10 s.
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.equal(upstream.count('/manifests/'), 1, 'no retry was started that could not finish within the deadline');
  });

  test('20 concurrent requests to a hung upstream share one ping, and a failed ping is remembered briefly', async () => {
    const upstream = await standIn(hangEverything);
    const clock = manualClock();
    // The breaker is off here: this is about the ping alone.
    const corp = registry(upstream.url, { requestMs: 500, failures: 0, clock });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => corp.listTags(`team/app${i}`, {})));
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(upstream.count('/v2/'), 1, 'one ping for all of them');

    // Right behind the failure: answered from memory, no new ping, no wait.
    await rejectsWith(corp.listTags('team/late', {}), 'UNAVAILABLE', /request deadline/);
    assert.equal(upstream.count('/v2/'), 1);

    clock.advance(5_000);
    await rejectsWith(corp.listTags('team/later', {}), 'UNAVAILABLE', /request deadline/);
    assert.equal(upstream.count('/v2/'), 2, 'once the memory expires, the next request pings again');
    assert.equal(upstream.count('/tags/'), 0);
  });

  test('the circuit opens after N failures (the upstream sees nothing while open), half-opens after the cool-down and closes on success', async () => {
    let down = true;
    const upstream = await standIn((req, res) => {
      if (pingOk(req, res)) return true;
      if (down) res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'team/app', tags: ['v1'] }));
      return true;
    });
    const clock = manualClock();
    const corp = registry(upstream.url, { retries: 0, failures: 3, openSeconds: 30, clock });

    for (let i = 0; i < 3; i++) await rejectsWith(corp.listTags('team/app', {}), 'UNAVAILABLE', /backend corp failed \(HTTP 503\)/);
    assert.equal(upstream.count('/tags/'), 3);
    const open = await rejectsWith(corp.listTags('team/app', {}), 'UNAVAILABLE', /^backend corp is unavailable \(circuit open after 3 failures; retry in 30s\)$/);
    assert.equal(open.status, 503);
    assert.equal(open.headers['retry-after'], '30');
    await rejectsWith(corp.getManifest('team/app', 'v1', []), 'UNAVAILABLE', /circuit open/);
    assert.equal(upstream.count('/tags/'), 3, 'nothing reached the upstream while the circuit was open');
    assert.equal(upstream.count('/manifests/'), 0);
    assert.equal((await circuitOf(corp)).state, 'open');

    clock.advance(30_000);
    down = false;
    assert.deepEqual(await corp.listTags('team/app', {}), { items: ['v1'] });
    assert.equal(upstream.count('/tags/'), 4, 'one probe went through');
    assert.deepEqual(await circuitOf(corp), { state: 'closed', consecutiveFailures: 0 });
    assert.deepEqual(await corp.listTags('team/app', {}), { items: ['v1'] });
  });

  test('a failed probe opens the circuit again', async () => {
    const upstream = await standIn((req, res) => {
      if (pingOk(req, res)) return true;
      res.writeHead(502).end();
      return true;
    });
    const clock = manualClock();
    const corp = registry(upstream.url, { retries: 0, failures: 2, openSeconds: 10, clock });
    await rejectsWith(corp.listTags('team/app', {}), 'UNAVAILABLE');
    await rejectsWith(corp.listTags('team/app', {}), 'UNAVAILABLE');
    clock.advance(10_000);
    await rejectsWith(corp.listTags('team/app', {}), 'UNAVAILABLE', /backend corp failed/);
    assert.equal(upstream.count('/tags/'), 3);
    await rejectsWith(corp.listTags('team/app', {}), 'UNAVAILABLE', /circuit open after 3 failures; retry in 10s/);
    assert.equal(upstream.count('/tags/'), 3);
  });

  test('4xx answers are the upstream working: they never open the circuit', async () => {
    const upstream = await standIn((req, res) => {
      if (pingOk(req, res)) return true;
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'no' }] }));
      return true;
    });
    const corp = registry(upstream.url, { retries: 0, failures: 2 });
    for (let i = 0; i < 5; i++) await rejectsWith(corp.getManifest('team/app', `v${i}`, []), 'MANIFEST_UNKNOWN');
    assert.equal(upstream.count('/manifests/'), 5);
    assert.deepEqual(await circuitOf(corp), { state: 'closed', consecutiveFailures: 0 });
  });

  test('a manifest body that trickles is cut at the request deadline', async () => {
    const upstream = await standIn((req, res) => {
      if (pingOk(req, res)) return true;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
      return true;
    });
    const corp = registry(upstream.url, { readMs: 10_000, requestMs: 700 });
    await rejectsWith(corp.getManifest('team/app', 'v1', []), 'UNAVAILABLE', /no answer within the 700 ms request deadline/);
  });

  test('a blob transfer is bounded by idle time, not by the request deadline', async () => {
    const chunk = Buffer.alloc(1024, 0x61);
    const chunks = 20;
    const digest = `sha256:${createHash('sha256').update(Buffer.concat(Array.from({ length: chunks }, () => chunk))).digest('hex')}`;
    const upstream = await standIn((req, res) => {
      if (pingOk(req, res)) return true;
      res.writeHead(200, { 'content-length': chunk.length * chunks, 'docker-content-digest': digest });
      let sent = 0;
      // 20 × 50 ms: longer than the 300 ms deadline, each gap far below the read timeout.
      const timer = setInterval(() => {
        res.write(chunk);
        if (++sent === chunks) {
          clearInterval(timer);
          res.end();
        }
      }, 50);
      res.on('close', () => clearInterval(timer));
      return true;
    });
    const corp = registry(upstream.url, { readMs: 10_000, requestMs: 300 });
    const body = await corp.getBlob('team/app', digest);
    assert.equal(body.kind, 'stream');
    let received = 0;
    if (body.kind === 'stream') for await (const part of body.stream) received += (part as Buffer).length;
    assert.equal(received, chunk.length * chunks);
  });
});
