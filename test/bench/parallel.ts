import { peakRssDuring, MIB } from '../support/rss';
import { measureParallelPullWithCurl } from './load';
import { startNginx } from './nginx';
import { startHttpRelay, startTcpRelay } from './relays';
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
  try {
    const rows: Row[] = [
      { label: 'distribution direct', url: t.distributionUrl + t.directPath },
      { label: 'nginx proxy_pass (2 workers)', url: nginx.url + t.directPath },
      { label: 'bare Node TCP relay (1 MiB reads)', url: tcp.url + t.directPath },
      { label: 'bare node:http relay', url: http.url + t.directPath },
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
    const many = await peakRssDuring(t.gatewayPid, () => measureParallelPullWithCurl(t.gatewayUrl + t.gatewayPath, MANY));
    return [
      `### c) ${PARALLEL} parallel pulls of a ${t.blobMiB} MiB blob (curl), median of ${ROUNDS} interleaved rounds`,
      '',
      markdownTable(['path', 'MB/s (median)', 'min', 'max', 'ratio to nginx'], table),
      '',
      markdownTable(['gateway memory', 'MB/s', 'peak RSS MiB'], [
        [`${PARALLEL} parallel pulls (peak over all rounds)`, median(mbps.get(rows[4]!.label)!), Math.max(...peaks) / MIB],
        [`${MANY} parallel pulls`, many.result.mbps, many.peak / MIB],
      ]),
      '',
    ].join('\n');
  } finally {
    tcp.stop();
    http.stop();
    await nginx.stop();
  }
}

