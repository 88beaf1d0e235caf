/**
 * The metrics' cost on the hot path: manifest by digest through gateways with `server.metrics`
 * on and off, in front of the same distribution, in one run (the proxied row of section a, and
 * the warm manifest cache, where Gantry's own per-request work weighs most).
 *   node dist/test/bench/metrics-bench.js     (also a section of bench.js; BENCH_METRICS_AA=1 for an A/A run)
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { GantryMetrics } from '../../apps/gateway/src/metrics/gantry-metrics';
import { classifyRequest } from '../../apps/gateway/src/metrics/request-route';
import { matchV2Route } from '../../apps/gateway/src/v2/v2-routes';
import { RouteTable } from '#routing';
import { readFileSync } from 'node:fs';
import { measureGets, pushPostPut, putManifest, type RequestStats } from './load';
import { markdownTable } from './table';
import { median } from './median';

const CONCURRENCY = 16;
/** Requests per side and round: the proxied path is ~15 times slower than the cached one. */
const COUNTS = { 'corp/': 600, 'cached/': 2000 } as const;
const ROUNDS = 12;
const WARM_UP = 1000;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function seed(pool: Pool): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  await pushPostPut(pool, 'bench/app', sha256(config), Readable.from([config]), config.length);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [],
  }));
  await putManifest(pool, 'bench/app', 'v1', manifest, MANIFEST_TYPE);
  return sha256(manifest);
}

/**
 * CPU time of a process's main thread in nanoseconds (/proc/<pid>/schedstat): where the
 * JavaScript runs, at a resolution /proc/<pid>/stat's 10 ms ticks cannot give a short round.
 */
function mainThreadCpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}


/** What the onResponse hook does per request (classify the URL, count), timed in this process. */
function hookMicros(digest: string): number {
  const routes = new RouteTable([{ prefix: 'cached/', backend: 'corp', upstreamPrefix: '' }]);
  const metrics = new GantryMetrics({ defaultMetrics: false });
  const url = `/v2/cached/bench/app/manifests/${digest}`;
  // The v2 controller has matched the URL by the time the hook runs.
  const matched = matchV2Route(url.slice(4)) ?? null;
  const count = 200_000;
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const { route, backend, routePrefix } = classifyRequest(url, routes, matched);
      metrics.request({ route, backend, method: 'GET', status: 200, seconds: 0.001, bytesIn: 300, bytesOut: 900 });
      metrics.cacheResult(routePrefix!, route, 'hit');
    }
    best = Math.min(best, ((performance.now() - started) * 1000) / count);
  }
  return best;
}

export async function metricsCostSection(): Promise<string> {
  let distribution: Distribution | undefined;
  const gateways: GatewayProcess[] = [];
  const pools: Pool[] = [];
  try {
    distribution = await startDistribution({ kind: 'none' });
    const config = (metrics: boolean) => ({
      server: { logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn', metrics },
      backends: { corp: { type: 'registry', url: distribution!.url } },
      routes: [
        { prefix: 'corp/', backend: 'corp', cache: false },
        { prefix: 'cached/', backend: 'corp' },
      ],
    });
    const on = await startGateway(config(true));
    // BENCH_METRICS_AA=1: both sides on, to see how far apart two equal gateways measure here.
    const off = await startGateway(config(process.env.BENCH_METRICS_AA === '1'));
    gateways.push(on, off);
    const direct = new Pool(distribution.url, { connections: 1 });
    const onPool = new Pool(on.url, { connections: CONCURRENCY });
    const offPool = new Pool(off.url, { connections: CONCURRENCY });
    pools.push(direct, onPool, offPool);
    const digest = await seed(direct);
    const headers = { accept: MANIFEST_TYPE };
    const rows: (string | number)[][] = [];
    for (const prefix of ['corp/', 'cached/'] as const) {
      const count = COUNTS[prefix];
      const path = `/v2/${prefix}bench/app/manifests/${digest}`;
      await measureGets(onPool, path, headers, WARM_UP, CONCURRENCY);
      await measureGets(offPool, path, headers, WARM_UP, CONCURRENCY);
      // Many short interleaved rounds, each side first in every other one, and the median of the
      // per-round ratios: on a shared machine a load spike hits one round, not the result.
      const rounds: { on: RequestStats; off: RequestStats; onCpu: number; offCpu: number }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        const result: Partial<(typeof rounds)[number]> = {};
        for (const side of order) {
          const pid = side === 'on' ? on.pid : off.pid;
          const before = mainThreadCpuNs(pid);
          result[side] = await measureGets(side === 'on' ? onPool : offPool, path, headers, count, CONCURRENCY);
          result[side === 'on' ? 'onCpu' : 'offCpu'] = (mainThreadCpuNs(pid) - before) / 1000 / count;
        }
        rounds.push(result as (typeof rounds)[number]);
      }
      const label = prefix === 'corp/' ? 'proxied (cache off)' : 'warm manifest cache';
      const of = (key: 'rps' | 'p50Ms' | 'p99Ms') => (r: (typeof rounds)[number]): [number, number] => [r.on[key], r.off[key]];
      const measures: [string, (r: (typeof rounds)[number]) => [number, number]][] = [
        ['req/s', of('rps')], ['p50 ms', of('p50Ms')], ['p99 ms', of('p99Ms')], ['main-thread CPU µs per request', (r) => [r.onCpu, r.offCpu]],
      ];
      for (const [name, pick] of measures) {
        const pairs = rounds.map(pick);
        rows.push([
          `${label}: manifest by digest (${count}×${ROUNDS}, c=${CONCURRENCY}) ${name}`,
          median(pairs.map(([a]) => a)), median(pairs.map(([, b]) => b)), median(pairs.map(([a, b]) => a / b)),
        ]);
      }
    }
    rows.push(['the hook\'s own work per request (in process, µs)', hookMicros(digest), '', '']);
    const scrape = await fetch(`${on.url}/metrics`);
    const series = (await scrape.text()).split('\n').filter((l) => l.startsWith('gantry_')).length;
    return `### g) metrics: server.metrics on vs off\n\n${markdownTable(['measure', 'metrics on', 'metrics off', 'ratio'], rows)}\n` +
      `Both gateways in front of one distribution; the "on" one had ${series} gantry_ series at the end. Values are medians over ` +
      'the rounds, the ratio the median of per-round ratios. Target: req/s ratio ≥ 0.95.\n';
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(gateways.map((g) => g.stop()));
    await distribution?.stop();
  }
}

if (require.main === module) {
  metricsCostSection().then(
    (table) => process.stdout.write(`${table}\n`),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
