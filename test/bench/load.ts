import type { Readable } from 'node:stream';
import type { Pool } from 'undici';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTool } from '../support/tools';

const execFileAsync = promisify(execFile);

export interface RequestStats {
  count: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Throughput {
  runs: number;
  bytes: number;
  mbps: number;
}

/**
 * Sends `count` GETs of `path` with `concurrency` in flight on the pool's keep-alive
 * connections; every response must be 200. Latency is per request, rate over the whole run.
 */
export async function measureGets(pool: Pool, path: string, headers: Record<string, string>, count: number, concurrency: number): Promise<RequestStats> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const started = performance.now();
      const res = await pool.request({ method: 'GET', path, headers });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode}`);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count, rps: count / seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

/** Pulls a blob `runs` times, one stream at a time, counting bytes without keeping them. */
export async function measurePull(pool: Pool, path: string, runs: number): Promise<Throughput> {
  return timed(runs, async () => {
    const res = await pool.request({ method: 'GET', path });
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${await res.body.text()}`);
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    return bytes;
  });
}

/** Runs `push` (which streams one blob and answers its size) `runs` times in a row. */
export async function measurePush(runs: number, push: () => Promise<number>): Promise<Throughput> {
  return timed(runs, push);
}

async function timed(runs: number, once: () => Promise<number>): Promise<Throughput> {
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < runs; i++) bytes += await once();
  const seconds = (performance.now() - started) / 1000;
  return { runs, bytes, mbps: bytes / 1e6 / seconds };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** POST ?digest with the whole body (the single-request push distribution-spec allows). */
export async function pushMonolithic(pool: Pool, repo: string, digest: string, body: Readable, size: number, extraHeaders: Record<string, string> = {}): Promise<number> {
  const res = await pool.request({
    method: 'POST',
    path: `/v2/${repo}/blobs/uploads/?digest=${digest}`,
    headers: { ...extraHeaders, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`POST ?digest to ${repo}: ${res.statusCode} ${text}`);
  return size;
}

/** POST for a session, then PUT ?digest with the whole body (distribution 2.8 ignores a body on POST). */
export async function pushPostPut(pool: Pool, repo: string, digest: string, body: Readable, size: number): Promise<number> {
  const started = await pool.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/` });
  await started.body.dump();
  const location = started.headers.location;
  if (started.statusCode !== 202 || typeof location !== 'string') throw new Error(`POST to ${repo}: ${started.statusCode}`);
  const url = new URL(location, 'http://placeholder');
  url.searchParams.set('digest', digest);
  const res = await pool.request({
    method: 'PUT',
    path: `${url.pathname}${url.search}`,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`PUT ?digest to ${repo}: ${res.statusCode} ${text}`);
  return size;
}

/** PUT of a small manifest; 201 or throw. */
export async function putManifest(pool: Pool, repo: string, reference: string, bytes: Buffer, mediaType: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const res = await pool.request({ method: 'PUT', path: `/v2/${repo}/manifests/${reference}`, headers: { ...extraHeaders, 'content-type': mediaType }, body: bytes });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`PUT manifest ${repo}:${reference}: ${res.statusCode} ${text}`);
}

/**
 * The same pull with curl, a native client: a Node client tops out near Node's own per-stream
 * ceiling and would hide how much faster the upstream itself is.
 */
export async function measurePullWithCurl(url: string, runs: number): Promise<Throughput> {
  requireTool('curl');
  return timed(runs, async () => {
    const { stdout } = await execFileAsync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', url]);
    const [status, size] = stdout.trim().split(' ');
    if (status !== '200') throw new Error(`curl ${url}: ${status}`);
    return Number(size);
  });
}

/** `parallel` curls pulling `url` at once, `runs` times in a row; bytes over wall time. */
export async function measureParallelPullWithCurl(url: string, parallel: number, runs = 1): Promise<Throughput> {
  requireTool('curl');
  return timed(runs, async () => {
    const sizes = await Promise.all(Array.from({ length: parallel }, async () => {
      const { stdout } = await execFileAsync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', url]);
      const [status, size] = stdout.trim().split(' ');
      if (status !== '200') throw new Error(`curl ${url}: ${status}`);
      return Number(size);
    }));
    return sizes.reduce((a, b) => a + b, 0);
  });
}
