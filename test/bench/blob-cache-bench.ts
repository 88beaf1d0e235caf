/**
 * Disk blob cache benchmark (not a test): a cached 128 MiB blob served by the gateway from its
 * disk cache vs a bare Node static file server (`fs.createReadStream` → `http` response, its own
 * process) on the very same file, measured in the same run, interleaved. Prints a markdown table.
 *
 *   node dist/test/bench/blob-cache-bench.js     (also the last section of `npm run bench`)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startDistribution } from '../support/distribution';
import { startGateway } from '../support/gateway-process';
import { freePort, tempDir, waitFor } from '../support/temp';
import { measureParallelPullWithCurl, measurePull, measurePullWithCurl, pushPostPut, type Throughput } from './load';
import { SyntheticBlob } from './synthetic-blob';
import { markdownTable } from './table';

const BLOB_BYTES = 128 * 1024 * 1024;
const RUNS = 3;
const PARALLEL = 6;

/** A static file server in its own process: the ceiling for serving one file from Node. */
async function startStaticFileServer(file: string): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const program = `
const http = require('http'); const fs = require('fs');
const size = fs.statSync(${JSON.stringify(file)}).size;
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  fs.createReadStream(${JSON.stringify(file)}).pipe(res);
}).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', program], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`static server on ${port}`, async () => (await fetch(`${url}/`, { method: 'HEAD' })).status === 200);
  return { url, stop: () => child.kill() };
}

export async function blobCacheSection(): Promise<string> {
  const cache = tempDir('bench-blob-cache');
  const distribution = await startDistribution({ kind: 'none' });
  const gateway = await startGateway({
    server: { logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    backends: { corp: { type: 'registry', url: distribution.url } },
    routes: [{ prefix: 'cached/', backend: 'corp', blobCache: { path: cache.path, maxBytes: 4 * BLOB_BYTES } }],
  });
  const pools: Pool[] = [];
  let files: { url: string; stop(): void } | undefined;
  try {
    const layer = new SyntheticBlob(BLOB_BYTES);
    const direct = new Pool(distribution.url);
    const viaGateway = new Pool(gateway.url);
    pools.push(direct, viaGateway);
    await pushPostPut(direct, 'bench/app', layer.digest, layer.stream(), layer.size);
    const path = `/v2/cached/bench/app/blobs/${layer.digest}`;
    await measurePull(viaGateway, path, 1); // the miss that fills the cache (not measured)
    files = await startStaticFileServer(join(cache.path, 'sha256', layer.digest.slice('sha256:'.length)));
    const bare = new Pool(files.url);
    pools.push(bare);
    await measurePull(bare, '/', 1); // warm-up
    await measurePull(viaGateway, path, 1);

    const rows: (string | number)[][] = [];
    const row = (name: string, g: Throughput, s: Throughput): void => void rows.push([name, g.mbps, s.mbps, g.mbps / s.mbps]);
    const [gNode, sNode] = [await measurePull(viaGateway, path, RUNS), await measurePull(bare, '/', RUNS)];
    const [gCurl, sCurl] = [await measurePullWithCurl(`${gateway.url}${path}`, RUNS), await measurePullWithCurl(`${files.url}/`, RUNS)];
    const [gPar, sPar] = [
      await measureParallelPullWithCurl(`${gateway.url}${path}`, PARALLEL),
      await measureParallelPullWithCurl(`${files.url}/`, PARALLEL),
    ];
    row(`128 MiB pull, undici, ${RUNS} in a row (MB/s)`, gNode, sNode);
    row(`128 MiB pull, curl, ${RUNS} in a row (MB/s)`, gCurl, sCurl);
    row(`128 MiB pull, ${PARALLEL} parallel curls (MB/s)`, gPar, sPar);
    return [
      '### cached blob from the disk cache vs a bare Node static file server on the same file (target ≥ 0.9)',
      markdownTable(['measure', 'gateway (disk cache hit)', 'bare fs.createReadStream → http', 'ratio'], rows),
    ].join('\n');
  } finally {
    files?.stop();
    await Promise.all(pools.map((p) => p.close()));
    await gateway.stop();
    await distribution.stop();
    cache.remove();
  }
}

if (require.main === module) {
  blobCacheSection().then(
    (table) => process.stdout.write(`${table}\n`),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
