import { Pool } from 'undici';
import { startDistribution } from '../support/distribution';
import { MIB, peakRssDuring, rssOf } from '../support/rss';
import { startBareHandler } from './bare-handler';
import { measureGets, type RequestStats } from './load';
import { median } from './median';
import { markdownTable } from './table';

/** Interleaved rounds per row; each row's figure is the median of its rounds. */
const ROUNDS = 5;
/**
 * Wall time each target is loaded before the rounds, the same for all: caches fill and the JIT
 * reaches steady state (the gateway's TurboFan code takes ~20,000 requests; a fixed count would
 * measure its warm-up against servers that need none).
 */
const WARM_UP_MS = 4000;
/** The cached gateway's warm-up on both references before the rows. */
const GATEWAY_WARM_UP_MS = 8000;
const WARM_UP_BATCH = 500;
/** About how long one target's round lasts (at most `count` requests: a safety cap, not the measure). */
const ROUND_MS = 1500;
/** The tag the bench pushed the manifest under. */
const TAG = 'v1';

export interface CacheBenchInput {
  distributionUrl: string;
  /** A gateway that serves only the cached load, so its peak RSS is the cache's. */
  cachedGatewayUrl: string;
  cachedGatewayPid: number;
  /** A gateway for the "cache off" column (the proxy path itself). */
  uncachedGatewayUrl: string;
  /** The repository in distribution, and the gateway routes to it (cached) and around the cache. */
  upstreamRepo: string;
  cachedRepo: string;
  uncachedRepo: string;
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  count: number;
  concurrency: number;
}

interface Target {
  label: string;
  pool: Pool;
  repo: string;
  pid?: number;
}

/**
 * Warm cached manifests (by tag and by digest) against distribution direct, distribution's own
 * pull-through proxy (`proxy.remoteurl`) in front of it, the gateway with the cache off, and a bare
 * Fastify handler returning the same bytes from memory. Every target is warmed up, then measured in
 * ROUNDS interleaved rounds (drift hits all alike); medians. Returns a markdown section.
 */
export async function cachedManifestSection(input: CacheBenchInput): Promise<string> {
  const proxy = await startDistribution({ kind: 'none' }, { proxyRemoteUrl: input.distributionUrl });
  const bare = await startBareHandler(input.manifest, input.mediaType, input.manifestDigest);
  const pool = (url: string): Pool => new Pool(url, { connections: input.concurrency });
  const cached: Target = { label: 'gateway cached', pool: pool(input.cachedGatewayUrl), repo: input.cachedRepo, pid: input.cachedGatewayPid };
  const targets: Target[] = [
    cached,
    { label: 'gateway cache off', pool: pool(input.uncachedGatewayUrl), repo: input.uncachedRepo },
    { label: 'distribution direct', pool: pool(input.distributionUrl), repo: input.upstreamRepo },
    { label: 'distribution proxy', pool: pool(proxy.url), repo: input.upstreamRepo },
    { label: 'bare Fastify', pool: pool(bare.url), repo: input.upstreamRepo },
  ];
  const headers = { accept: input.mediaType };
  const idleRss = rssOf(input.cachedGatewayPid);
  let peakRss = idleRss;
  const get = async (target: Target, reference: string, count: number): Promise<RequestStats> => {
    const run = () => measureGets(target.pool, `/v2/${target.repo}/manifests/${reference}`, headers, count, input.concurrency);
    if (target.pid === undefined) return run();
    const { result, peak } = await peakRssDuring(target.pid, run);
    peakRss = Math.max(peakRss, peak);
    return result;
  };
  try {
    const rows: (string | number)[][] = [];
    const byRef = async (label: string, reference: string): Promise<void> => {
      // Each round's count is what the target serves in about ROUND_MS: a slow target's long
      // rounds would leave the others idle long enough for V8's memory reducer to throw their
      // optimised code away, and the next round would measure a warm-up again.
      const counts = new Map<Target, number>();
      for (const target of targets) {
        let served = 0;
        const started = Date.now();
        while (Date.now() - started < WARM_UP_MS) served += (await get(target, reference, WARM_UP_BATCH)).count;
        const rate = served / ((Date.now() - started) / 1000);
        counts.set(target, Math.max(WARM_UP_BATCH, Math.min(input.count, Math.round((rate * ROUND_MS) / 1000))));
      }
      const runs = new Map<Target, RequestStats[]>(targets.map((t) => [t, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of targets) runs.get(target)!.push(await get(target, reference, counts.get(target)!));
      }
      const rps = targets.map((t) => median(runs.get(t)!.map((r) => r.rps)));
      const p50 = targets.map((t) => median(runs.get(t)!.map((r) => r.p50Ms)));
      const [cachedRps, , direct, , bareRps] = rps as [number, number, number, number, number];
      rows.push([`${label} req/s`, ...rps, cachedRps / direct, cachedRps / bareRps]);
      rows.push([`${label} p50 ms`, ...p50, '', '']);
    };
    // The gateway's code is optimised for the paths it runs: both references are served for a
    // while before either row, or the first row measures the rest of its warm-up.
    const started = Date.now();
    while (Date.now() - started < GATEWAY_WARM_UP_MS) {
      await get(cached, TAG, WARM_UP_BATCH);
      await get(cached, input.manifestDigest, WARM_UP_BATCH);
    }
    const shape = `${ROUNDS} rounds of ~${ROUND_MS / 1000} s, c=${input.concurrency}`;
    await byRef(`manifest by tag (${shape})`, TAG);
    await byRef(`manifest by digest (${shape})`, input.manifestDigest);
    return `### d) cached manifests (warm)\n\n${markdownTable(
      ['measure', ...targets.map((t) => t.label), 'cached / direct', 'cached / bare'],
      rows,
    )}\nThe cached gateway serves only this load (the "cache off" column is another gateway). Its RSS: ` +
      `${(idleRss / MIB).toFixed(0)} MiB before, peak ${(peakRss / MIB).toFixed(0)} MiB under the load (64 MiB L1; target ≤ 150).\n` +
      `Each target had ${WARM_UP_MS / 1000} s of warm-up per row. Targets: by digest ≥ 5× distribution direct, by tag ≥ 4×, and ≥ 0.5 of the bare handler.\n`;
  } finally {
    await Promise.all(targets.map((t) => t.pool.close()));
    await bare.stop();
    await proxy.stop();
  }
}
