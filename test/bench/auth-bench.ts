/**
 * Access control's cost on the hot path: manifest by digest with a bearer token reused (as
 * docker and containerd do) against the same gateway config without `auth`, in one run.
 *   node dist/test/bench/auth-bench.js     (also the last section of bench.js)
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { hashSync } from 'bcryptjs';
import { Pool } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { measureGets, pushMonolithic, putManifest, type RequestStats } from './load';
import { markdownTable } from './table';

const COUNT = 2000;
const CONCURRENCY = 16;
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function seed(pool: Pool, headers: Record<string, string>): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  await pushMonolithic(pool, 'bench/app', sha256(config), Readable.from([config]), config.length, headers);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [],
  }));
  await putManifest(pool, 'bench/app', 'v1', manifest, MANIFEST_TYPE, headers);
  return sha256(manifest);
}

export async function tokenReuseSection(): Promise<string> {
  const dir = tempDir('bench-auth');
  const password = 'bench-password';
  const base = {
    server: { logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    backends: { store: { type: 'local', path: join(dir.path, 'store') } },
    routes: [{ prefix: '', backend: 'store', cache: false }],
  };
  const gateways: GatewayProcess[] = [];
  const pools: Pool[] = [];
  try {
    const anonymous = await startGateway(base);
    const authed = await startGateway({
      ...base,
      auth: {
        users: [{ name: 'bench', passwordHash: hashSync(password, 4) }],
        rules: [{ subjects: ['user:bench'], repositories: ['bench/**'], actions: ['pull', 'push'] }],
        signingKey: { file: join(dir.path, 'key.pem') },
        audit: { destination: join(dir.path, 'audit.log') },
      },
    });
    gateways.push(anonymous, authed);
    const anonPool = new Pool(anonymous.url, { connections: CONCURRENCY });
    const authPool = new Pool(authed.url, { connections: CONCURRENCY });
    pools.push(anonPool, authPool);
    const basicAuth = { authorization: `Basic ${Buffer.from(`bench:${password}`).toString('base64')}` };
    const digest = await seed(anonPool, {});
    await seed(authPool, basicAuth);
    const tokenRes = await fetch(`${authed.url}/token?service=gantry&scope=repository:bench/app:pull`, { headers: basicAuth });
    const { token } = (await tokenRes.json()) as { token: string };
    const path = `/v2/bench/app/manifests/${digest}`;
    const anonHeaders = { accept: MANIFEST_TYPE };
    const bearerHeaders = { accept: MANIFEST_TYPE, authorization: `Bearer ${token}` };
    await measureGets(anonPool, path, anonHeaders, 200, CONCURRENCY);
    await measureGets(authPool, path, bearerHeaders, 200, CONCURRENCY);
    // Interleaved, two rounds each, so that drift hits both sides alike.
    const runs: { anon: RequestStats[]; bearer: RequestStats[] } = { anon: [], bearer: [] };
    for (let round = 0; round < 2; round++) {
      runs.anon.push(await measureGets(anonPool, path, anonHeaders, COUNT, CONCURRENCY));
      runs.bearer.push(await measureGets(authPool, path, bearerHeaders, COUNT, CONCURRENCY));
    }
    const mean = (list: RequestStats[], key: 'rps' | 'p50Ms' | 'p99Ms'): number => list.reduce((sum, s) => sum + s[key], 0) / list.length;
    const rows = (['rps', 'p50Ms', 'p99Ms'] as const).map((key) => {
      const b = mean(runs.bearer, key);
      const a = mean(runs.anon, key);
      return [`manifest by digest (${COUNT}×2, c=${CONCURRENCY}) ${key === 'rps' ? 'req/s' : key === 'p50Ms' ? 'p50 ms' : 'p99 ms'}`, b, a, b / a];
    });
    return `### e) access control: bearer token reused vs anonymous\n\n${markdownTable(['measure', 'bearer token reused', 'no auth section', 'ratio'], rows)}\n` +
      'Both gateways: local store, cache off; the authenticated one writes an audit line per request to a file. Target: req/s ratio ≥ 0.9.\n';
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(gateways.map((g) => g.stop()));
    dir.remove();
  }
}

if (require.main === module) {
  tokenReuseSection().then(
    (table) => process.stdout.write(`${table}\n`),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
