import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { pushPostPut } from '../bench/load';
import { SyntheticBlob } from '../bench/synthetic-blob';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { MIB, peakRssDuring } from '../support/rss';

const PARALLEL = 24;
const BLOB_BYTES = 128 * MIB;
/**
 * For the whole process. The clients here share the two cores with the gateway (each hashes what
 * it reads), so collections run later than in the bench, where curl pulls (144–147 MiB there).
 * Before the young generation, the pacing of collections and the body buffers were set for
 * streaming, the gateway peaked at 254 MiB here (250–385 in the runs); then at 150–228
 * depending on how the streams interleaved; with full collections for promoted socket reads, no
 * ICU data and the heap compacted at start, 152–164. The limit stays below the unfixed gateway's
 * lowest peak, with room for a busy machine.
 */
const PEAK_RSS_LIMIT = 195 * MIB;

/** Pulls `url` on its own connection, hashing as the bytes arrive; answers size and digest. */
function pullAndHash(url: string): Promise<{ bytes: number; digest: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: ${res.statusCode}`));
        return;
      }
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ bytes, digest: `sha256:${hash.digest('hex')}` }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe(`${PARALLEL} parallel pulls of a ${BLOB_BYTES / MIB} MiB blob through a registry route`, () => {
  let upstream: Distribution;
  let gateway: GatewayProcess;
  const blob = new SyntheticBlob(BLOB_BYTES);

  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    gateway = await startGateway({ backends: { corp: { type: 'registry', url: upstream.url } }, routes: [{ prefix: 'corp/', backend: 'corp' }] });
    const pool = new Pool(upstream.url);
    try {
      await pushPostPut(pool, 'big/layer', blob.digest, blob.stream(), blob.size);
    } finally {
      await pool.close();
    }
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
  });

  test(`every client gets the right bytes and the gateway's RSS stays under ${PEAK_RSS_LIMIT / MIB} MiB`, async (t) => {
    const url = `${gateway.url}/v2/corp/big/layer/blobs/${blob.digest}`;
    // One pull first: what is measured is streaming, not the one-time start of the upstream
    // client (its parser, its pool, the JIT).
    assert.deepEqual(await pullAndHash(url), { bytes: BLOB_BYTES, digest: blob.digest });
    const { result, peak } = await peakRssDuring(gateway.pid, () => Promise.all(Array.from({ length: PARALLEL }, () => pullAndHash(url))));
    for (const pulled of result) assert.deepEqual(pulled, { bytes: BLOB_BYTES, digest: blob.digest });
    t.diagnostic(`peak RSS ${(peak / MIB).toFixed(1)} MiB`);
    assert.ok(peak <= PEAK_RSS_LIMIT, `peak RSS ${(peak / MIB).toFixed(1)} MiB`);
  });
});
