import { Pool } from 'undici';
import { startDistribution } from '../support/distribution';
import { MIB, peakRssDuring } from '../support/rss';
import { startBareHandler } from './bare-handler';
import { measureGets, type RequestStats } from './load';
import { markdownTable } from './table';

export interface CacheBenchInput {
  distributionUrl: string;
  gatewayUrl: string;
  /** The gateway's process, whose peak RSS under the cached load is reported. */
  gatewayPid: number;
  /** The repository in distribution, and the gateway route to it (cached) and around the cache. */
  upstreamRepo: string;
  cachedRepo: string;
  uncachedRepo: string;
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  count: number;
  concurrency: number;
}

/**
 * Warm cached manifests (by tag and by digest) against distribution direct, distribution's own
 * pull-through proxy (`proxy.remoteurl`) in front of it, the gateway with the cache off, and a bare
 * Fastify handler returning the same bytes from memory. Returns a markdown section.
 */
export async function cachedManifestSection(input: CacheBenchInput): Promise<string> {
  const proxy = await startDistribution({ kind: 'none' }, { proxyRemoteUrl: input.distributionUrl });
  const bare = await startBareHandler(input.manifest, input.mediaType, input.manifestDigest);
  const pools = [input.distributionUrl, proxy.url, input.gatewayUrl, bare.url].map((url) => new Pool(url, { connections: input.concurrency }));
  const [direct, viaProxy, viaGateway, viaBare] = pools as [Pool, Pool, Pool, Pool];
  const headers = { accept: input.mediaType };
  const measure = async (pool: Pool, path: string): Promise<RequestStats> => {
    await measureGets(pool, path, headers, 200, input.concurrency); // warm-up (and, for caches, the fill)
    return measureGets(pool, path, headers, input.count, input.concurrency);
  };
  try {
    const rows: (string | number)[][] = [];
    let peakRss = 0;
    const cachedLoad = async (path: string): Promise<RequestStats> => {
      const { result, peak } = await peakRssDuring(input.gatewayPid, () => measure(viaGateway, path));
      peakRss = Math.max(peakRss, peak);
      return result;
    };
    const byRef = async (label: string, reference: string): Promise<void> => {
      const d = await measure(direct, `/v2/${input.upstreamRepo}/manifests/${reference}`);
      const p = await measure(viaProxy, `/v2/${input.upstreamRepo}/manifests/${reference}`);
      const u = await measure(viaGateway, `/v2/${input.uncachedRepo}/manifests/${reference}`);
      const c = await cachedLoad(`/v2/${input.cachedRepo}/manifests/${reference}`);
      const b = await measure(viaBare, `/v2/${input.upstreamRepo}/manifests/${reference}`);
      rows.push([`${label} req/s`, c.rps, u.rps, d.rps, p.rps, b.rps, c.rps / d.rps, c.rps / b.rps]);
      rows.push([`${label} p50 ms`, c.p50Ms, u.p50Ms, d.p50Ms, p.p50Ms, b.p50Ms, '', '']);
    };
    await byRef(`manifest by tag (${input.count}, c=${input.concurrency})`, 'v1');
    await byRef(`manifest by digest (${input.count}, c=${input.concurrency})`, input.manifestDigest);
    return `### d) cached manifests (warm)\n\n${markdownTable(
      ['measure', 'gateway cached', 'gateway cache off', 'distribution direct', 'distribution proxy', 'bare Fastify', 'cached / direct', 'cached / bare'],
      rows,
    )}\nGateway peak RSS under the cached load: ${(peakRss / MIB).toFixed(0)} MiB (64 MiB L1; target ≤ 150).\n` +
      'Targets: by digest ≥ 5× distribution direct, by tag ≥ 4×, and ≥ 0.5 of the bare handler.\n';
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await bare.stop();
    await proxy.stop();
  }
}
