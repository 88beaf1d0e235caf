import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { pushPostPut } from '../bench/load';
import { SyntheticBlob } from '../bench/synthetic-blob';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { MIB } from '../support/rss';
import { tempDir, waitFor } from '../support/temp';

const GC_COUNTER = resolve(__dirname, '../support/gc-counter.js');
const BLOB_BYTES = 256 * MIB;
/**
 * Full collections allowed while the blob streams. With the old generation's limit left to V8,
 * an idle gateway's memory reducer set it just above the live heap, and socket buffers then cost
 * a full collection every few dozen MiB: 5–7 for this one stream (24 parallel pulls ran at half
 * the throughput). With `--initial-old-space-size` there were none.
 */
const MAJOR_COLLECTIONS_LIMIT = 2;

describe('a blob streamed through a registry route after the gateway was idle', () => {
  const dir = tempDir('streaming-after-idle');
  const countFile = join(dir.path, 'majors');
  let upstream: Distribution;
  let gateway: GatewayProcess;
  const blob = new SyntheticBlob(BLOB_BYTES);
  const majors = (): number => Number(readFileSync(countFile, 'utf8'));

  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    const pool = new Pool(upstream.url);
    try {
      await pushPostPut(pool, 'big/layer', blob.digest, blob.stream(), blob.size);
    } finally {
      await pool.close();
    }
    gateway = await startGateway(
      { backends: { corp: { type: 'registry', url: upstream.url } }, routes: [{ prefix: 'corp/', backend: 'corp' }] },
      { env: { NODE_OPTIONS: `--require ${GC_COUNTER}`, GC_COUNT_FILE: countFile } },
    );
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    dir.remove();
  });

  test(`costs at most ${MAJOR_COLLECTIONS_LIMIT} full collections, once V8's memory reducer has shrunk the idle heap`, async (t) => {
    // The reducer runs full collections some seconds after the process falls idle: wait for them.
    const started = majors();
    await waitFor('the memory reducer of the idle gateway', async () => majors() >= started + 2, 60_000);
    const before = majors();
    const res = await fetch(`${gateway.url}/v2/corp/big/layer/blobs/${blob.digest}`);
    assert.equal(res.status, 200);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res.body!) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    assert.deepEqual({ bytes, digest: `sha256:${hash.digest('hex')}` }, { bytes: BLOB_BYTES, digest: blob.digest });
    const during = majors() - before;
    t.diagnostic(`${during} full collections while ${BLOB_BYTES / MIB} MiB streamed`);
    assert.ok(during <= MAJOR_COLLECTIONS_LIMIT, `${during} full collections while the blob streamed`);
  });
});
