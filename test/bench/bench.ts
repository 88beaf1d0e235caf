/**
 * Gantry benchmark (not a test): one run, one process, one disk, all traffic on 127.0.0.1.
 *   a) gateway -> distribution vs distribution direct: manifest GETs and a large blob pull;
 *   b) gateway -> local store vs distribution direct: large blob push and pull, manifest GETs;
 *   c) parallel blob pulls against nginx and bare Node relays in front of the same distribution,
 *      with the gateway's peak RSS;
 *   d) warm cached manifests vs distribution direct, its pull-through proxy and a bare Fastify handler;
 *   blob) a cached 128 MiB blob from the disk cache vs a bare Node static file server;
 *   e) manifest by digest with a reused bearer token vs the same gateway without auth;
 *   f) replication: a 1 GiB image copied by a worker process (a replication job) vs `skopeo copy`, registry to registry;
 *   g) manifest by digest with metrics on vs off.
 * Every measurement is a fixed number of requests. Prints markdown tables; stops every process.
 *
 *   node dist/test/bench/bench.js     (BENCH_LOG_LEVEL=warn to leave out the gateway's request log;
 *                                      BENCH_SECTIONS=f or =a,blob,e to run only those sections, see sections.ts)
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { measureGets, measurePull, measurePullWithCurl, measurePush, pushMonolithic, pushPostPut, putManifest, type RequestStats, type Throughput } from './load';
import { SyntheticBlob } from './synthetic-blob';
import { tokenReuseSection } from './auth-bench';
import { blobCacheSection } from './blob-cache-bench';
import { cachedManifestSection } from './cache-bench';
import { metricsCostSection } from './metrics-bench';
import { parallelPullSection } from './parallel';
import { replicationSection } from './replication-bench';
import { selectedSections, type Section } from './sections';
import { markdownTable } from './table';

const MANIFESTS = 2000;
/**
 * The most requests one round of the cached section may make. Rounds are timed (see
 * cache-bench.ts); at the 5,000 this used to be, a 13,000 req/s round lasted 0.4 s and a single
 * collection or scheduling hiccup moved the row by a third.
 */
const CACHED_MANIFESTS = 100_000;
const CONCURRENCY = 16;
const SERIAL = 500;
const BLOB_RUNS = 3;
const BLOB_BYTES = 128 * 1024 * 1024;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const ACCEPT = { accept: `${MANIFEST_TYPE}, application/vnd.docker.distribution.manifest.v2+json` };

interface Fixture {
  manifest: Buffer;
  manifestDigest: string;
  layer: SyntheticBlob;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const out = (line = ''): boolean => process.stdout.write(`${line}\n`);

/** Pushes config, the big layer and a manifest tagged v1 into `repo` (not measured). */
async function seed(pool: Pool, repo: string, layer: SyntheticBlob, push: typeof pushPostPut): Promise<Fixture> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  await pushPostPut(pool, repo, sha256(config), Readable.from([config]), config.length);
  await push(pool, repo, layer.digest, layer.stream(), layer.size);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size }],
  }));
  await putManifest(pool, repo, 'v1', manifest, MANIFEST_TYPE);
  return { manifest, manifestDigest: sha256(manifest), layer };
}

interface Side {
  byTag: RequestStats;
  byDigest: RequestStats;
  /** One request at a time: the latency a request really pays, without queueing on 2 cores. */
  byDigestSerial: RequestStats;
  pull: Throughput;
  pullCurl: Throughput;
}

async function measureSide(pool: Pool, origin: string, repo: string, fixture: Fixture): Promise<Side> {
  await measureGets(pool, `/v2/${repo}/manifests/v1`, ACCEPT, 200, CONCURRENCY); // warm-up
  const byTag = await measureGets(pool, `/v2/${repo}/manifests/v1`, ACCEPT, MANIFESTS, CONCURRENCY);
  const byDigest = await measureGets(pool, `/v2/${repo}/manifests/${fixture.manifestDigest}`, ACCEPT, MANIFESTS, CONCURRENCY);
  const byDigestSerial = await measureGets(pool, `/v2/${repo}/manifests/${fixture.manifestDigest}`, ACCEPT, SERIAL, 1);
  const blobPath = `/v2/${repo}/blobs/${fixture.layer.digest}`;
  await measurePull(pool, blobPath, 1); // warm-up (page cache, connections)
  const pull = await measurePull(pool, blobPath, BLOB_RUNS);
  const pullCurl = await measurePullWithCurl(`${origin}${blobPath}`, BLOB_RUNS);
  return { byTag, byDigest, byDigestSerial, pull, pullCurl };
}

function compare(title: string, viaLabel: string, via: Side & { push?: Throughput }, direct: Side & { push?: Throughput }): string {
  const rows: (string | number)[][] = [];
  const gets = (name: string, g: RequestStats, d: RequestStats): void => {
    rows.push([`${name} req/s`, g.rps, d.rps, g.rps / d.rps, '']);
    rows.push([`${name} p50 ms`, g.p50Ms, d.p50Ms, g.p50Ms / d.p50Ms, signedMs(g.p50Ms - d.p50Ms)]);
    rows.push([`${name} p99 ms`, g.p99Ms, d.p99Ms, g.p99Ms / d.p99Ms, '']);
  };
  gets(`manifest by tag (${MANIFESTS}, c=${CONCURRENCY})`, via.byTag, direct.byTag);
  gets(`manifest by digest (${MANIFESTS}, c=${CONCURRENCY})`, via.byDigest, direct.byDigest);
  gets(`manifest by digest (${SERIAL}, c=1)`, via.byDigestSerial, direct.byDigestSerial);
  if (via.push && direct.push) rows.push([`push 128 MiB blob MB/s (${BLOB_RUNS}x)`, via.push.mbps, direct.push.mbps, via.push.mbps / direct.push.mbps, '']);
  rows.push([`pull 128 MiB blob MB/s (${BLOB_RUNS}x, Node client)`, via.pull.mbps, direct.pull.mbps, via.pull.mbps / direct.pull.mbps, '']);
  rows.push([`pull 128 MiB blob MB/s (${BLOB_RUNS}x, curl)`, via.pullCurl.mbps, direct.pullCurl.mbps, via.pullCurl.mbps / direct.pullCurl.mbps, '']);
  return `### ${title}\n\n${markdownTable(['measure', viaLabel, 'distribution direct', 'ratio', 'p50 overhead'], rows)}\n`;
}

function signedMs(delta: number): string {
  return `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} ms`;
}

/** Sections a) to d): one distribution and one gateway in front of it, seeded once. */
async function proxySections(sections: ReadonlySet<Section>): Promise<void> {
  const store = tempDir('bench-store');
  let distribution: Distribution | undefined;
  let gateway: GatewayProcess | undefined;
  const pools: Pool[] = [];
  try {
    distribution = await startDistribution({ kind: 'none' });
    const gatewayConfig = {
      server: { logLevel: LOG_LEVEL },
      backends: { corp: { type: 'registry', url: distribution.url }, store: { type: 'local', path: join(store.path, 'data') } },
      // corp/ measures the proxy path itself (cache off); cached/ the manifest cache, warm.
      routes: [
        { prefix: 'corp/', backend: 'corp', cache: false },
        { prefix: 'cached/', backend: 'corp' },
        { prefix: '', backend: 'store', cache: false },
      ],
    };
    gateway = await startGateway(gatewayConfig);
    const direct = new Pool(distribution.url, { connections: CONCURRENCY });
    const viaGateway = new Pool(gateway.url, { connections: CONCURRENCY });
    pools.push(direct, viaGateway);

    const layer = new SyntheticBlob(BLOB_BYTES);
    const upstream = await seed(direct, 'bench/app', layer, pushPostPut);
    const local = await seed(viaGateway, 'local/bench/app', layer, pushMonolithic);

    if (sections.has('a') || sections.has('b')) {
      // Interleaved so that drift (page cache, CPU frequency) hits both sides alike.
      const directSide = await measureSide(direct, distribution.url, 'bench/app', upstream);
      if (sections.has('a')) {
        const proxied = await measureSide(viaGateway, gateway.url, 'corp/bench/app', upstream);
        out(compare('a) gateway → distribution (`corp/`) vs distribution direct', 'gateway corp/', proxied, directSide));
      }
      if (sections.has('b')) {
        const localSide = await measureSide(viaGateway, gateway.url, 'local/bench/app', local);
        const directPush = await measurePush(BLOB_RUNS, () => pushPostPut(direct, 'bench/pushed', layer.digest, layer.stream(), layer.size));
        const localPush = await measurePush(BLOB_RUNS, () => pushMonolithic(viaGateway, 'local/bench/pushed', layer.digest, layer.stream(), layer.size));
        out(compare('b) gateway → local store vs distribution direct', 'gateway local', { ...localSide, push: localPush }, { ...directSide, push: directPush }));
        out('push: gateway = one POST ?digest with the streamed body; distribution = POST + PUT ?digest with the body (2.8 ignores a body on POST).');
        out();
      }
    }
    if (sections.has('c')) {
      out(await parallelPullSection({
        distributionUrl: distribution.url, gatewayUrl: gateway.url, gatewayPid: gateway.pid,
        directPath: `/v2/bench/app/blobs/${layer.digest}`, gatewayPath: `/v2/corp/bench/app/blobs/${layer.digest}`, blobMiB: BLOB_BYTES / 1048576,
      }));
      out();
    }
    if (sections.has('d')) {
      // A fresh gateway for the cached rows only: its peak RSS is the manifest cache's, not what
      // the blob sections or the proxied rows left behind.
      const cacheGateway = await startGateway(gatewayConfig);
      out(await cachedManifestSection({
        distributionUrl: distribution.url, cachedGatewayUrl: cacheGateway.url, cachedGatewayPid: cacheGateway.pid,
        uncachedGatewayUrl: gateway.url, upstreamRepo: 'bench/app', cachedRepo: 'cached/bench/app', uncachedRepo: 'corp/bench/app',
        manifest: upstream.manifest, manifestDigest: upstream.manifestDigest, mediaType: MANIFEST_TYPE, count: CACHED_MANIFESTS, concurrency: CONCURRENCY,
      }).finally(() => cacheGateway.stop()));
      out();
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await gateway?.stop();
    await distribution?.stop();
    store.remove();
  }
}

async function main(): Promise<void> {
  const sections = selectedSections();
  out(`## Gantry benchmark — ${new Date().toISOString()}`);
  out(`node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}; ` +
    `gateway log level ${LOG_LEVEL}; distribution 2.8 (filesystem driver); all on 127.0.0.1, same disk; sections ${[...sections].join(', ')}`);
  out();
  if (['a', 'b', 'c', 'd'].some((s) => sections.has(s as Section))) await proxySections(sections);
  // Each of the rest starts its own registries and gateways.
  if (sections.has('blob')) {
    out(await blobCacheSection());
    out();
  }
  if (sections.has('e')) {
    out(await tokenReuseSection());
    out();
  }
  if (sections.has('f')) {
    out(await replicationSection());
    out();
  }
  if (sections.has('g')) out(await metricsCostSection());
}

void main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
