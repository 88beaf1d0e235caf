import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const LIMIT = 64 * 1024 * 1024;

/** 1 GiB of deterministic, incompressible-enough bytes, generated chunk by chunk (never held whole). */
function* content(size = GIB, salt = ''): Generator<Buffer> {
  const seed = createHash('sha512').update(salt);
  for (let i = 0; i < size / CHUNK; i++) {
    const block = Buffer.allocUnsafe(CHUNK);
    const stamp = seed.copy().update(String(i)).digest();
    for (let off = 0; off < CHUNK; off += stamp.length) stamp.copy(block, off);
    yield block;
  }
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

/** Samples the gateway's RSS while `work` runs; returns the peak. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssOf(pid));
}

describe('a 1 GiB layer streams through the gateway with flat memory', () => {
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let digest: string;
  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    gateway = await startGateway({ backends: { corp: { type: 'registry', url: upstream.url } }, routes: [{ prefix: 'corp/', backend: 'corp' }] });
    digest = digestOf(content());
    // Warm the process with a 128 MiB push and pull, so the baseline is the steady state of a
    // process that has streamed before (heap semispaces, socket buffers, allocator arenas): what
    // is measured after is growth with the size of the transfer.
    const warmDigest = digestOf(content(128 * CHUNK, 'warm'));
    assert.equal(await push(warmDigest, content(128 * CHUNK, 'warm'), 128 * CHUNK), 201);
    await (await fetch(`${gateway.url}/v2/corp/big/blobs/${warmDigest}`)).arrayBuffer();
  });

  function digestOf(blocks: Iterable<Buffer>): string {
    const hash = createHash('sha256');
    for (const block of blocks) hash.update(block);
    return `sha256:${hash.digest('hex')}`;
  }

  function push(blobDigest: string, blocks: Iterable<Buffer>, size: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const req = request(`${gateway.url}/v2/corp/big/blobs/uploads/?digest=${blobDigest}`, {
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
  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
  });

  test('push: 1 GiB monolithic upload through the gateway', async () => {
    const baseline = rssOf(gateway.pid);
    const peak = await peakRssDuring(gateway.pid, async () => {
      assert.equal(await push(digest, content(), GIB), 201);
    });
    assert.ok(peak - baseline < LIMIT, `RSS grew by ${((peak - baseline) / 1048576).toFixed(1)} MiB`);
  });

  test('pull: 1 GiB blob through the gateway, verified', async () => {
    const baseline = rssOf(gateway.pid);
    const hash = createHash('sha256');
    let bytes = 0;
    const peak = await peakRssDuring(gateway.pid, async () => {
      const res = await fetch(`${gateway.url}/v2/corp/big/blobs/${digest}`);
      assert.equal(res.status, 200);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
    });
    assert.equal(bytes, GIB);
    assert.equal(`sha256:${hash.digest('hex')}`, digest);
    assert.ok(peak - baseline < LIMIT, `RSS grew by ${((peak - baseline) / 1048576).toFixed(1)} MiB`);
  });
});
