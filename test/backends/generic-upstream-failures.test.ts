import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import pino, { type Logger } from 'pino';
import { GenericRegistry, StaticCredentials } from '../../libs/registry/src/backends/generic';
import { freePort } from '../support/temp';
import { rejectsWith } from '../support/oci-assert';

/** A tiny stand-in upstream: each test decides what it answers. Records what it was sent. */
interface FakeUpstream {
  url: string;
  host: string;
  requests: { method: string; path: string; authorization?: string }[];
  close(): Promise<void>;
}

async function startFake(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeUpstream> {
  const requests: FakeUpstream['requests'] = [];
  const server = createHttpServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A TCP listener that only counts connections and the bytes it receives; it never answers. */
async function startSilent(): Promise<{ port: number; connections: number; received: string[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { port: await freePort(), connections: 0, received: [] as string[], close: async () => {} };
  const server = createNetServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('data', (d: Buffer) => state.received.push(d.toString()));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(state.port, '127.0.0.1', resolve));
  state.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return state;
}

function registryAt(url: string, options: { retries?: number; readMs?: number; logger?: Logger; password?: string } = {}): GenericRegistry {
  return new GenericRegistry({
    name: 'corp', type: 'registry', url, blobMode: 'proxy',
    credentials: new StaticCredentials({ username: 'ci', password: options.password ?? 'hunter2' }),
    timeouts: { connectMs: 1000, readMs: options.readMs ?? 5000 }, retries: options.retries ?? 2,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
}

describe('GenericRegistry when the upstream misbehaves', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test('a token realm on a foreign host: refused, and the foreign host gets no connection', async () => {
    const foreign = await startSilent();
    cleanup.push(() => foreign.close());
    const fake = await startFake((_req, res) => {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://127.0.0.1:${foreign.port}/token",service="fake, with comma",scope="repository:team/app:pull"`,
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    });
    cleanup.push(() => fake.close());
    const lines: string[] = [];
    const registry = registryAt(fake.url, { logger: pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }) });
    cleanup.push(() => registry.close());

    const err = await rejectsWith(registry.getManifest('team/app', 'v1', []), 'DENIED', new RegExp(`realm host 127.0.0.1:${foreign.port} not allowed for backend corp`));
    assert.equal(err.headers['www-authenticate'], undefined);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(foreign.connections, 0, 'nothing was sent to the foreign realm');
    assert.deepEqual(foreign.received, []);
    assert.ok(fake.requests.every((r) => r.authorization === undefined), 'no credentials to the registry either');
    assert.ok(lines.some((l) => l.includes('"level":40') && l.includes('not allowed for backend corp')));
    assert.ok(!lines.join('').includes('hunter2'));
  });

  test('429 is retried honouring Retry-After, then TOOMANYREQUESTS with Retry-After', async () => {
    const fake = await startFake((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
    });
    cleanup.push(() => fake.close());
    const registry = registryAt(fake.url, { retries: 2 });
    cleanup.push(() => registry.close());
    const err = await rejectsWith(registry.getManifest('team/app', 'v1', []), 'TOOMANYREQUESTS', /backend corp/);
    assert.equal(err.status, 429);
    assert.equal(err.headers['retry-after'], '0');
    assert.equal(fake.requests.filter((r) => r.path.includes('/manifests/')).length, 3);
  });

  test('a Retry-After beyond the cap is not waited for', async () => {
    const fake = await startFake((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(429, { 'retry-after': '3600' }).end();
    });
    cleanup.push(() => fake.close());
    const registry = registryAt(fake.url, { retries: 3 });
    cleanup.push(() => registry.close());
    const started = Date.now();
    const err = await rejectsWith(registry.listTags('team/app', {}), 'TOOMANYREQUESTS');
    assert.equal(err.headers['retry-after'], '3600');
    assert.ok(Date.now() - started < 1000);
    assert.equal(fake.requests.filter((r) => r.path.includes('/tags/')).length, 1);
  });

  test('503 is retried with backoff, then UNAVAILABLE naming the backend; a stream body is never retried', async () => {
    const fake = await startFake((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(503).end('busy');
    });
    cleanup.push(() => fake.close());
    const registry = registryAt(fake.url, { retries: 2 });
    cleanup.push(() => registry.close());
    const err = await rejectsWith(registry.statBlob('team/app', `sha256:${'a'.repeat(64)}`), 'UNAVAILABLE', /backend corp/);
    assert.equal(err.status, 503);
    assert.equal(fake.requests.filter((r) => r.method === 'HEAD').length, 3);
    await rejectsWith(registry.startUpload('team/app'), 'UNAVAILABLE');
    assert.equal(fake.requests.filter((r) => r.method === 'POST').length, 1, 'POST is not idempotent');
  });

  test('upstream error envelopes keep their code, status and message; bare statuses are mapped', async () => {
    const fake = await startFake((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url?.includes('/tags/')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'repository is archived' }] }));
      }
      if (req.url?.includes('/manifests/')) return void res.writeHead(403).end();
      res.writeHead(404).end();
    });
    cleanup.push(() => fake.close());
    const registry = registryAt(fake.url);
    cleanup.push(() => registry.close());
    const denied = await rejectsWith(registry.listTags('team/app', {}), 'DENIED', /repository is archived/);
    assert.equal(denied.status, 403);
    await rejectsWith(registry.getManifest('team/app', 'v1', []), 'DENIED', /backend corp/);
    await rejectsWith(registry.getBlob('team/app', `sha256:${'b'.repeat(64)}`), 'BLOB_UNKNOWN');
    await rejectsWith(registry.writeChunk('team/app', JSON.stringify({ location: `${fake.url}/v2/team/app/blobs/uploads/x`, size: 0 }),
      { body: Readable.from([Buffer.from('x')]), offset: 0, length: 1 }), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a cached token the upstream revoked early is dropped and refetched once', async () => {
    let issued = 0;
    const revoked = new Set<string>();
    const fake = await startFake((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/token') {
        issued++;
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ access_token: `tok-${issued}`, expires_in: 300 }));
      }
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (!token || revoked.has(token)) {
        const realm = `http://${req.headers.host}/token`;
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake"` }).end();
      }
      if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'team/app', tags: ['b', 'a'] }));
    });
    cleanup.push(() => fake.close());
    const registry = registryAt(fake.url);
    cleanup.push(() => registry.close());
    assert.deepEqual(await registry.listTags('team/app', {}), { items: ['a', 'b'] });
    assert.deepEqual(await registry.listTags('team/app', {}), { items: ['a', 'b'] });
    assert.equal(issued, 1, 'the token was cached');
    revoked.add('tok-1');
    assert.deepEqual(await registry.listTags('team/app', {}), { items: ['a', 'b'] });
    assert.equal(issued, 2);
    const tokenCalls = fake.requests.filter((r) => r.path.startsWith('/token'));
    assert.ok(tokenCalls.every((r) => r.authorization === `Basic ${Buffer.from('ci:hunter2').toString('base64')}`));
    assert.equal(new URL(tokenCalls[0]!.path, 'http://x').searchParams.get('scope'), 'repository:team/app:pull');
  });

  test('a non-401 credential rejection (ECR-style 403) refetches credentials once via isCredentialRejection', async () => {
    const fresh = `Basic ${Buffer.from('AWS:fresh').toString('base64')}`;
    const fake = await startFake((req, res) => {
      if (!req.headers.authorization) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="https://ecr/",service="ecr.amazonaws.com"' }).end();
      if (req.headers.authorization !== fresh) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' }] }));
      }
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tags: ['v1'] }));
    });
    cleanup.push(() => fake.close());
    let password = 'stale';
    let invalidations = 0;
    const source = {
      getCredentials: async () => ({ username: 'AWS', password }),
      invalidate: () => {
        invalidations++;
        password = 'fresh';
      },
      state: () => ({ state: 'unknown' as const }),
    };
    const registry = new GenericRegistry({
      name: 'ecr-prod', type: 'ecr', url: fake.url, blobMode: 'proxy', credentials: source, timeouts: { connectMs: 1000, readMs: 5000 }, retries: 0,
      logger: pino({ level: 'silent' }), isCredentialRejection: (err) => err.code === 'DENIED' && /token has expired/.test(err.message),
    });
    cleanup.push(() => registry.close());
    assert.deepEqual(await registry.listTags('team/app', {}), { items: ['v1'] });
    assert.equal(invalidations, 1);
  });

  test('a manifest beyond 4 MiB is MANIFEST_TOO_LARGE, with or without Content-Length', async () => {
    const huge = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    const fake = await startFake((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url!.endsWith('/sized')) return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': huge.length }).end(huge);
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      for (let i = 0; i < huge.length; i += 65536) res.write(huge.subarray(i, i + 65536));
      res.end();
    });
    cleanup.push(() => fake.close());
    const registry = registryAt(fake.url);
    cleanup.push(() => registry.close());
    assert.equal((await rejectsWith(registry.getManifest('team/app', 'sized', []), 'MANIFEST_TOO_LARGE')).status, 413);
    await rejectsWith(registry.getManifest('team/app', 'streamed', []), 'MANIFEST_TOO_LARGE');
  });

  test('a closed port is UNAVAILABLE quickly', async () => {
    const port = await freePort();
    const registry = registryAt(`http://127.0.0.1:${port}`, { retries: 2 });
    cleanup.push(() => registry.close());
    const started = Date.now();
    await rejectsWith(registry.getManifest('team/app', 'v1', []), 'UNAVAILABLE', /backend corp unreachable/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  test('an upstream that accepts but never answers is UNAVAILABLE after the read timeout', async () => {
    const silent = await startSilent();
    cleanup.push(() => silent.close());
    const registry = registryAt(`http://127.0.0.1:${silent.port}`, { retries: 1, readMs: 300 });
    cleanup.push(() => registry.close());
    const started = Date.now();
    await rejectsWith(registry.listTags('team/app', {}), 'UNAVAILABLE', /read timeout/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });
});
