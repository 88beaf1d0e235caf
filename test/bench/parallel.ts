import { peakRssDuring, rssOf, MIB } from '../support/rss';
import { measureParallelPullWithCurl } from './load';
import { startNginx } from './nginx';
import { startHttpRelay, startTcpRelay, startUndiciRelay, type Relay } from './relays';
import { markdownTable } from './table';
import { median } from './median';

const PARALLEL = 6;
const MANY = 24;
const ROUNDS = 5;

export interface ParallelTargets {
  distributionUrl: string;
  gatewayUrl: string;
  gatewayPid: number;
  /** The same blob at distribution (`/v2/<repo>/blobs/<digest>`) and through the gateway's registry route. */
  directPath: string;
  gatewayPath: string;
  blobMiB: number;
}

interface Row {
  label: string;
  url: string;
  pid?: number;
}

/**
 * The same blob to PARALLEL curls at once from distribution direct, nginx, a bare TCP relay, a
 * bare node:http relay and the gateway, ROUNDS times interleaved (drift hits every row alike);
 * medians, each as a ratio to nginx. Then MANY parallel pulls through the gateway, for memory.
 */
export async function parallelPullSection(t: ParallelTargets): Promise<string> {
  const upstreamPort = Number(new URL(t.distributionUrl).port);
  const nginx = await startNginx(t.distributionUrl);
  const tcp = await startTcpRelay(upstreamPort);
  const http = await startHttpRelay(upstreamPort);
  const undici = await startUndiciRelay(upstreamPort);
  const relays: Relay[] = [tcp, http, undici];
  // Before any pull: what each process holds when idle (the gateway: after seeding and earlier sections).
  const idle = new Map<number, number>([...relays.map((r) => r.pid), t.gatewayPid].map((pid) => [pid, rssOf(pid)]));
  try {
    const rows: Row[] = [
      { label: 'distribution direct', url: t.distributionUrl + t.directPath },
      { label: 'nginx proxy_pass (2 workers)', url: nginx.url + t.directPath },
      { label: 'bare Node TCP relay (1 MiB reads)', url: tcp.url + t.directPath },
      { label: 'bare node:http relay', url: http.url + t.directPath },
      { label: 'bare undici → node:http relay', url: undici.url + t.directPath },
      { label: 'gateway (registry route)', url: t.gatewayUrl + t.gatewayPath, pid: t.gatewayPid },
    ];
    const mbps = new Map<string, number[]>(rows.map((r) => [r.label, []]));
    const peaks: number[] = [];
    for (const row of rows) await measureParallelPullWithCurl(row.url, PARALLEL); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const row of rows) {
        const run = () => measureParallelPullWithCurl(row.url, PARALLEL);
        if (row.pid === undefined) {
          mbps.get(row.label)!.push((await run()).mbps);
        } else {
          const { result, peak } = await peakRssDuring(row.pid, run);
          mbps.get(row.label)!.push(result.mbps);
          peaks.push(peak);
        }
      }
    }
    const nginxMbps = median(mbps.get(rows[1]!.label)!);
    const table = rows.map((r) => {
      const values = mbps.get(r.label)!;
      return [r.label, median(values), Math.min(...values), Math.max(...values), median(values) / nginxMbps];
    });
    // The same MANY pulls through each Node process: what a stream costs there, Gantry or not.
    const memoryRows: (string | number)[][] = [];
    const manyThrough = async (label: string, pid: number, url: string): Promise<void> => {
      const before = idle.get(pid)!;
      const { result, peak } = await peakRssDuring(pid, () => measureParallelPullWithCurl(url, MANY));
      memoryRows.push([`${label}, ${MANY} parallel pulls`, result.mbps, before / MIB, peak / MIB, (peak - before) / MIB]);
    };
    await manyThrough('bare Node TCP relay', tcp.pid, tcp.url + t.directPath);
    await manyThrough('bare node:http relay', http.pid, http.url + t.directPath);
    await manyThrough('bare undici → node:http relay', undici.pid, undici.url + t.directPath);
    await manyThrough('gateway (registry route)', t.gatewayPid, t.gatewayUrl + t.gatewayPath);
    return [
      `### c) ${PARALLEL} parallel pulls of a ${t.blobMiB} MiB blob (curl), median of ${ROUNDS} interleaved rounds`,
      '',
      markdownTable(['path', 'MB/s (median)', 'min', 'max', 'ratio to nginx'], table),
      '',
      `Gateway peak RSS over the ${PARALLEL}-parallel rounds: ${(Math.max(...peaks) / MIB).toFixed(0)} MiB.`,
      '',
      markdownTable(['memory (each process started with the gateway\'s Node flags)', 'MB/s', 'RSS idle MiB', 'peak RSS MiB', 'growth MiB'], memoryRows),
      '',
    ].join('\n');
  } finally {
    for (const relay of relays) relay.stop();
    await nginx.stop();
  }
}

