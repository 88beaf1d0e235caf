/**
 * Only section c) of the benchmark (parallel pulls vs nginx and bare relays), for iterating on
 * the streaming path:   node dist/test/bench/parallel-bench.js
 */
import { Pool } from 'undici';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { pushPostPut } from './load';
import { parallelPullSection } from './parallel';
import { SyntheticBlob } from './synthetic-blob';

const BLOB_BYTES = 128 * 1024 * 1024;

async function main(): Promise<void> {
  let distribution: Distribution | undefined;
  let gateway: GatewayProcess | undefined;
  try {
    distribution = await startDistribution({ kind: 'none' });
    gateway = await startGateway({
      server: { logLevel: process.env.BENCH_LOG_LEVEL ?? 'info' },
      backends: { corp: { type: 'registry', url: distribution.url } },
      routes: [{ prefix: 'corp/', backend: 'corp' }],
    });
    const layer = new SyntheticBlob(BLOB_BYTES);
    const pool = new Pool(distribution.url);
    await pushPostPut(pool, 'bench/app', layer.digest, layer.stream(), layer.size);
    await pool.close();
    process.stdout.write(`${await parallelPullSection({
      distributionUrl: distribution.url, gatewayUrl: gateway.url, gatewayPid: gateway.pid,
      directPath: `/v2/bench/app/blobs/${layer.digest}`, gatewayPath: `/v2/corp/bench/app/blobs/${layer.digest}`, blobMiB: BLOB_BYTES / 1048576,
    })}\n`);
  } finally {
    await gateway?.stop();
    await distribution?.stop();
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
