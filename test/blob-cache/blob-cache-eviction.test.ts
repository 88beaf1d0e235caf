import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBlobRelay, type BlobRelay } from '../support/blob-relay';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { randomBlob, V2Client, type Blob } from '../support/v2-client';
import { pull } from './pull';

const MiB = 1024 * 1024;

describe('disk blob cache: LRU eviction by size, never a blob being read', () => {
  let upstream: Distribution;
  let relay: BlobRelay;
  let gateway: GatewayProcess;
  let lruDir: ReturnType<typeof tempDir>;
  let inUseDir: ReturnType<typeof tempDir>;
  const url = (prefix: string, blob: Blob): string => `${gateway.url}/v2/${prefix}/app/blobs/${blob.digest}`;
  const cachedIn = (dir: string, blob: Blob): boolean => existsSync(join(dir, 'sha256', blob.digest.slice('sha256:'.length)));

  before(async () => {
    upstream = await startDistribution();
    relay = await startBlobRelay(upstream.url);
    lruDir = tempDir('blob-lru');
    inUseDir = tempDir('blob-in-use');
    gateway = await startGateway({
      backends: { up: { type: 'registry', url: relay.url } },
      routes: [
        { prefix: 'lru/', backend: 'up', blobCache: { path: lruDir.path, maxBytes: 40 * MiB } },
        { prefix: 'inuse/', backend: 'up', blobCache: { path: inUseDir.path, maxBytes: 40 * MiB } },
      ],
    });
  });
  after(async () => {
    await gateway?.stop();
    await relay?.stop();
    await upstream?.stop();
    lruDir?.remove();
    inUseDir?.remove();
  });

  test('the least recently used blob goes first when the cache outgrows maxBytes', async () => {
    const [a, b, c] = [randomBlob(15 * MiB), randomBlob(15 * MiB), randomBlob(15 * MiB)];
    const registry = new V2Client(upstream.url);
    for (const blob of [a, b, c]) await registry.pushBlob('app', blob);

    assert.equal((await pull(url('lru', a))).headers.get('x-gantry-cache'), 'miss');
    assert.equal((await pull(url('lru', b))).headers.get('x-gantry-cache'), 'miss');
    assert.equal((await pull(url('lru', a))).headers.get('x-gantry-cache'), 'hit', 'a is now more recent than b');
    assert.equal((await pull(url('lru', c))).headers.get('x-gantry-cache'), 'miss');

    assert.equal(cachedIn(lruDir.path, b), false, 'b, the least recently used, was evicted');
    assert.ok(cachedIn(lruDir.path, a) && cachedIn(lruDir.path, c));
    assert.equal((await pull(url('lru', a))).headers.get('x-gantry-cache'), 'hit');
    const again = await pull(url('lru', b));
    assert.equal(again.headers.get('x-gantry-cache'), 'miss');
    assert.ok(again.bytes.equals(b.bytes));
    assert.equal(relay.blobGets(b.digest), 2);
  });

  test('a blob being read is passed over by eviction and its reader gets every byte', async () => {
    const [big, first, second] = [randomBlob(32 * MiB), randomBlob(5 * MiB), randomBlob(5 * MiB)];
    const registry = new V2Client(upstream.url);
    for (const blob of [big, first, second]) await registry.pushBlob('app', blob);
    assert.equal((await pull(url('inuse', big))).status, 200);

    // A slow reader: the response is paused, so the gateway holds the cached file open.
    const slow = await new Promise<IncomingMessage>((resolve, reject) => get(url('inuse', big), resolve).on('error', reject));
    slow.pause();
    assert.equal(slow.headers['x-gantry-cache'], 'hit');

    assert.equal((await pull(url('inuse', first))).status, 200);
    assert.equal((await pull(url('inuse', second))).status, 200);
    // 32 + 5 + 5 MiB > 40 MiB: the big blob is the least recently used, but it is being read.
    assert.ok(cachedIn(inUseDir.path, big), 'the blob being read stays in the cache');
    assert.equal(cachedIn(inUseDir.path, first), false, 'the next least recently used went instead');

    const chunks: Buffer[] = [];
    slow.on('data', (chunk: Buffer) => chunks.push(chunk));
    slow.resume();
    await new Promise((resolve, reject) => slow.on('end', resolve).on('error', reject));
    assert.ok(Buffer.concat(chunks).equals(big.bytes), 'the slow reader got every byte');
  });
});
