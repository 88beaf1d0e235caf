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
import { cpuSecondsOf } from './cpu-time';
import { SyntheticBlob } from './synthetic-blob';
import { markdownTable } from './table';

const BLOB_BYTES = 128 * 1024 * 1024;
/** Rounds per measure; each round pulls from both sides, the first side alternating. */
const ROUNDS = 6;
const PARALLEL = 6;

/** A static file server in its own process: the ceiling for serving one file from Node. */
async function startStaticFileServer(file: string): Promise<{ url: string; pid: number; stop(): void }> {
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
  return { url, pid: child.pid!, stop: () => child.kill() };
}

interface Side {
  name: string;
  /** The serving process, whose CPU time each pull is charged. */
  pid: number;
  pool: Pool;
  url: string;
  path: string;
}

/** One side's totals over the rounds: MB/s over its own time, and its server's CPU ms per GB served. */
interface Measured {
  mbps: number;
  cpuMsPerGb: number;
}

/**
 * Measures both sides in alternating order, one pull each per round, so that drift on a shared
 * machine (other processes, page cache, CPU frequency) hits both alike; answers [a, b], each the
 * bytes over the time spent on that side, and the CPU its server used for them.
 * BENCH_ROUNDS_LOG=1 prints every round.
 */
async function interleaved(a: Side, b: Side, pull: (side: Side) => Promise<Throughput>): Promise<[Measured, Measured]> {
  const totals = new Map<Side, { bytes: number; seconds: number; cpu: number }>([
    [a, { bytes: 0, seconds: 0, cpu: 0 }],
    [b, { bytes: 0, seconds: 0, cpu: 0 }],
  ]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? [a, b] : [b, a]) {
      const cpuBefore = cpuSecondsOf(side.pid);
      const t = await pull(side);
      const cpu = cpuSecondsOf(side.pid) - cpuBefore;
      const total = totals.get(side)!;
      total.bytes += t.bytes;
      total.seconds += t.bytes / 1e6 / t.mbps;
      total.cpu += cpu;
      if (process.env.BENCH_ROUNDS_LOG) process.stderr.write(`round ${round} ${side.name}: ${t.mbps.toFixed(0)} MB/s, ${(cpu * 1000).toFixed(0)} ms CPU\n`);
    }
  }
  const result = (side: Side): Measured => {
    const { bytes, seconds, cpu } = totals.get(side)!;
    return { mbps: bytes / 1e6 / seconds, cpuMsPerGb: (cpu * 1000) / (bytes / 1e9) };
  };
  return [result(a), result(b)];
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
  let files: { url: string; pid: number; stop(): void } | undefined;
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

    const gatewaySide: Side = { name: 'gateway', pid: gateway.pid, pool: viaGateway, url: `${gateway.url}${path}`, path };
    const bareSide: Side = { name: 'bare', pid: files.pid, pool: bare, url: `${files.url}/`, path: '/' };
    const rows: (string | number)[][] = [];
    const row = (name: string, [g, s]: [Measured, Measured]): void =>
      void rows.push([name, g.mbps, s.mbps, g.mbps / s.mbps, g.cpuMsPerGb, s.cpuMsPerGb]);
    row(`128 MiB pull, undici, ${ROUNDS} rounds (MB/s)`, await interleaved(gatewaySide, bareSide, (x) => measurePull(x.pool, x.path, 1)));
    row(`128 MiB pull, curl, ${ROUNDS} rounds (MB/s)`, await interleaved(gatewaySide, bareSide, (x) => measurePullWithCurl(x.url, 1)));
    row(`128 MiB pull, ${PARALLEL} parallel curls, ${ROUNDS} rounds (MB/s)`,
      await interleaved(gatewaySide, bareSide, (x) => measureParallelPullWithCurl(x.url, PARALLEL)));
    return [
      '### cached blob from the disk cache vs a bare Node static file server on the same file (target ≥ 0.9)',
      markdownTable(['measure', 'gateway (disk cache hit)', 'bare fs.createReadStream → http', 'ratio', 'gateway CPU ms/GB', 'bare CPU ms/GB'], rows),
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
