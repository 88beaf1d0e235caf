import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { OciError } from '#oci';
import { GenericRegistry, StaticCredentials } from '../../libs/registry/src/backends/generic';
import type { BlobBody } from '../../libs/registry/src/port';
import { freePort } from '../support/temp';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const BASIC = `Basic ${Buffer.from('ci:s3cret').toString('base64')}`;

interface Seen {
  method: string;
  path: string;
  authorization?: string;
}

/** Serves `bytes` honouring `Range: bytes=a-b` / `a-` like object storage does. */
function serveBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer): void {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!range) return void res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' }).end(bytes);
  const start = Number(range[1]);
  const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
  if (start >= bytes.length) return void res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
  res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': end - start + 1 });
  res.end(bytes.subarray(start, end + 1));
}

async function listen(server: Server): Promise<string> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

async function bytesOf(body: BlobBody): Promise<Buffer> {
  assert.equal(body.kind, 'stream');
  const chunks: Buffer[] = [];
  if (body.kind === 'stream') for await (const chunk of body.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * A registry that wants Basic auth and sends blob GETs to presigned storage, the way ECR (S3),
 * GAR (relative Location) and Docker Hub (CDN) do; the storage refuses any Authorization header.
 */
describe('GenericRegistry and blob redirects to storage', () => {
  const blobs = { s3: randomBytes(40_000), relative: randomBytes(3000), twoHops: randomBytes(1000) };
  const byHex = new Map(Object.values(blobs).map((b) => [sha(b).slice(7), b]));
  const registrySeen: Seen[] = [];
  const storageSeen: Seen[] = [];
  let storageUrl = '';
  let registryUrl = '';
  let proxy: GenericRegistry;
  let redirect: GenericRegistry;

  const storage = createServer((req, res) => {
    storageSeen.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization });
    const url = new URL(req.url!, 'http://x');
    const hex = url.pathname.split('/').pop()!;
    if (req.headers.authorization) return void res.writeHead(400).end('<Error>Only one auth mechanism allowed</Error>');
    if (req.method === 'HEAD') return void res.writeHead(403).end(); // S3 presigned GET URLs refuse HEAD
    if (url.pathname.startsWith('/hop/')) return void res.writeHead(302, { location: `/bucket/${hex}?X-Amz-Signature=again` }).end();
    if (url.searchParams.get('X-Amz-Signature') === null || !byHex.has(hex)) return void res.writeHead(403).end();
    serveBytes(req, res, byHex.get(hex)!);
  });

  const registry = createServer((req, res) => {
    registrySeen.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname.startsWith('/artifacts-downloads/')) {
      // Same host as the registry, but a presigned download: it must not get our credentials.
      if (req.headers.authorization) return void res.writeHead(400).end('credentials sent to a download URL');
      return serveBytes(req, res, byHex.get(url.pathname.split('/').pop()!)!);
    }
    if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    const digest = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname)?.[1];
    const hex = digest?.slice(7);
    if (!hex || !byHex.has(hex)) return void res.writeHead(404).end();
    const bytes = byHex.get(hex)!;
    if (bytes === blobs.s3) return void res.writeHead(307, { location: `${storageUrl}/bucket/${hex}?X-Amz-Signature=abc&X-Amz-Expires=3600` }).end();
    if (bytes === blobs.relative) return void res.writeHead(302, { location: `/artifacts-downloads/${hex}?token=t` }).end();
    res.writeHead(307, { location: `${storageUrl}/hop/${hex}` }).end();
  });

  const make = (blobMode: 'proxy' | 'redirect'): GenericRegistry =>
    new GenericRegistry({
      name: 'cloud', type: 'registry', url: registryUrl, blobMode, credentials: new StaticCredentials({ username: 'ci', password: 's3cret' }),
      timeouts: { connectMs: 1000, readMs: 5000 }, retries: 1, logger: pino({ level: 'silent' }),
    });

  before(async () => {
    storageUrl = await listen(storage);
    registryUrl = await listen(registry);
    proxy = make('proxy');
    redirect = make('redirect');
  });
  after(async () => {
    await proxy?.close();
    await redirect?.close();
    storage.closeAllConnections();
    registry.closeAllConnections();
    await new Promise((r) => storage.close(r));
    await new Promise((r) => registry.close(r));
  });

  test('proxy mode follows the redirect without credentials and streams the bytes', async () => {
    const body = await proxy.getBlob('team/app', sha(blobs.s3));
    assert.equal(body.kind === 'stream' && body.size, blobs.s3.length);
    assert.deepEqual(await bytesOf(body), blobs.s3);
    assert.ok(registrySeen.some((r) => r.path.includes('/blobs/') && r.authorization === BASIC), 'the registry got credentials');
  });

  test('proxy mode passes Range to storage and reports the total size', async () => {
    const body = await proxy.getBlob('team/app', sha(blobs.s3), { start: 100, end: 199 });
    assert.ok(body.kind === 'stream');
    assert.deepEqual(body.range, { start: 100, end: 199 });
    assert.equal(body.size, blobs.s3.length);
    assert.deepEqual(await bytesOf(body), blobs.s3.subarray(100, 200));
    await assert.rejects(proxy.getBlob('team/app', sha(blobs.s3), { start: 50_000 }), (err: unknown) => err instanceof OciError && err.code === 'RANGE_INVALID');
  });

  test('statBlob through a redirect uses a one-byte GET (storage refuses HEAD)', async () => {
    assert.deepEqual(await proxy.statBlob('team/app', sha(blobs.s3)), { digest: sha(blobs.s3), size: blobs.s3.length });
    const last = storageSeen[storageSeen.length - 1]!;
    assert.equal(last.method, 'GET');
  });

  test('a relative Location resolves against the registry URL and gets no credentials', async () => {
    assert.deepEqual(await bytesOf(await proxy.getBlob('team/app', sha(blobs.relative))), blobs.relative);
    const download = registrySeen.filter((r) => r.path.startsWith('/artifacts-downloads/'));
    assert.ok(download.length > 0);
    assert.ok(download.every((r) => r.authorization === undefined));
  });

  test('several hops are followed', async () => {
    assert.deepEqual(await bytesOf(await proxy.getBlob('team/app', sha(blobs.twoHops))), blobs.twoHops);
  });

  test('redirect mode hands back the absolute location without fetching it', async () => {
    const before = storageSeen.length;
    const hex = sha(blobs.s3).slice(7);
    assert.deepEqual(await redirect.getBlob('team/app', sha(blobs.s3)), {
      kind: 'redirect', location: `${storageUrl}/bucket/${hex}?X-Amz-Signature=abc&X-Amz-Expires=3600`,
    });
    assert.deepEqual(await redirect.getBlob('team/app', sha(blobs.relative)), {
      kind: 'redirect', location: `${registryUrl}/artifacts-downloads/${sha(blobs.relative).slice(7)}?token=t`,
    });
    assert.equal(storageSeen.length, before, 'storage was not contacted');
    // Sizes still come from storage, without credentials.
    assert.equal((await redirect.statBlob('team/app', sha(blobs.s3))).size, blobs.s3.length);
  });

  test('storage never saw an Authorization header', () => {
    assert.ok(storageSeen.length > 0);
    assert.deepEqual(storageSeen.filter((r) => r.authorization !== undefined), []);
  });
});
