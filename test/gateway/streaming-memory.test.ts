import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { MIB, peakRssDuring, rssOf } from '../support/rss';
import { tempDir } from '../support/temp';

const GIB = 1024 * MIB;
const CHUNK = MIB;
const LIMIT = 64 * MIB;

/** Deterministic, incompressible-enough bytes, generated chunk by chunk (never held whole). */
function* content(salt: string, size = GIB): Generator<Buffer> {
  const seed = createHash('sha512').update(salt);
  for (let i = 0; i < size / CHUNK; i++) {
    const block = Buffer.allocUnsafe(CHUNK);
    const stamp = seed.copy().update(String(i)).digest();
    for (let off = 0; off < CHUNK; off += stamp.length) stamp.copy(block, off);
    yield block;
  }
}

function digestOf(blocks: Iterable<Buffer>): string {
  const hash = createHash('sha256');
  for (const block of blocks) hash.update(block);
  return `sha256:${hash.digest('hex')}`;
}

/** POST ?digest with the streamed body to `origin`; answers the status. */
function pushMonolithic(origin: string, repo: string, digest: string, blocks: Iterable<Buffer>, size: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(`${origin}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': size },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    Readable.from(blocks).pipe(req);
  });
}

/** distribution 2.8 ignores a body on POST: POST for a session, then PUT ?digest with the body. */
async function pushToDistribution(origin: string, repo: string, digest: string, blocks: Iterable<Buffer>, size: number): Promise<void> {
  const started = await fetch(`${origin}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(started.headers.get('location')!, origin);
  location.searchParams.set('digest', digest);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': size } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    Readable.from(blocks).pipe(req);
  });
  assert.equal(status, 201);
}

/** Pulls `url` and hashes it as it arrives; answers bytes and digest. */
async function pullAndHash(url: string): Promise<{ bytes: number; digest: string }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, digest: `sha256:${hash.digest('hex')}` };
}

function assertFlat(baseline: number, peak: number): void {
  assert.ok(peak - baseline < LIMIT, `RSS grew by ${((peak - baseline) / MIB).toFixed(1)} MiB`);
}

/**
 * One gateway per backend kind; every test seeds what it needs under its own salt, so each runs
 * alone (`--test-name-pattern`) with the same result.
 */
function flatMemorySuite(kind: 'registry' | 'local'): void {
  describe(`a 1 GiB layer streams through a ${kind} route with flat memory`, () => {
    let upstream: Distribution | undefined;
    let gateway: GatewayProcess;
    const store = tempDir('streaming-store');
    const repo = 'corp/big';

    before(async () => {
      let backend: Record<string, unknown>;
      if (kind === 'registry') {
        upstream = await startDistribution({ kind: 'none' });
        backend = { type: 'registry', url: upstream.url };
      } else {
        backend = { type: 'local', path: join(store.path, 'data') };
      }
      gateway = await startGateway({ backends: { corp: backend }, routes: [{ prefix: 'corp/', backend: 'corp' }] });
      // Warm the process with a 128 MiB push and pull, so the baseline is the steady state of a
      // process that has streamed before (heap semispaces, socket buffers, allocator arenas): what
      // is measured after is growth with the size of the transfer.
      const warm = digestOf(content('warm', 128 * CHUNK));
      assert.equal(await pushMonolithic(gateway.url, repo, warm, content('warm', 128 * CHUNK), 128 * CHUNK), 201);
      await pullAndHash(`${gateway.url}/v2/${repo}/blobs/${warm}`);
    });

    after(async () => {
      await gateway?.stop();
      await upstream?.stop();
      store.remove();
    });

    test('push: 1 GiB monolithic upload through the gateway', async () => {
      const digest = digestOf(content(`push-${kind}`));
      const baseline = rssOf(gateway.pid);
      const { result: status, peak } = await peakRssDuring(gateway.pid, () => pushMonolithic(gateway.url, repo, digest, content(`push-${kind}`), GIB));
      assert.equal(status, 201);
      assertFlat(baseline, peak);
      const head = await fetch(`${gateway.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(GIB));
    });

    test('pull: 1 GiB blob through the gateway, verified', async () => {
      const digest = digestOf(content(`pull-${kind}`));
      // Seeded behind the gateway's back where possible, so the pull does not rest on the push path.
      if (upstream) await pushToDistribution(upstream.url, 'big', digest, content(`pull-${kind}`), GIB);
      else assert.equal(await pushMonolithic(gateway.url, repo, digest, content(`pull-${kind}`), GIB), 201);
      const baseline = rssOf(gateway.pid);
      const { result, peak } = await peakRssDuring(gateway.pid, () => pullAndHash(`${gateway.url}/v2/${repo}/blobs/${digest}`));
      assert.equal(result.bytes, GIB);
      assert.equal(result.digest, digest);
      assertFlat(baseline, peak);
    });
  });
}

flatMemorySuite('registry');
flatMemorySuite('local');
