import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { MediaType } from '#oci';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { MIB, peakRssDuring } from '../support/rss';
import { V2Client } from '../support/v2-client';

const LOAD_MS = 8_000;
const CONNECTIONS = 16;
/**
 * For the whole process, idle at 119–133 MiB. With a 1 MiB young generation each response's
 * objects (and the buffers they hold) outlived two minor collections and piled up in the old
 * generation until a full one: 176–190 MiB under this load. With the gateway's 4 MiB: 143 MiB.
 */
const PEAK_RSS_LIMIT = 168 * MIB;

describe('a cached manifest pulled by 16 clients for 8 s', () => {
  let upstream: Distribution;
  let gateway: GatewayProcess;

  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    await new V2Client(upstream.url).pushImage('team/app', 'v1');
    gateway = await startGateway({ backends: { up: { type: 'registry', url: upstream.url } }, routes: [{ prefix: '', backend: 'up' }] });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
  });

  test(`is served from the cache throughout, and the gateway stays under ${PEAK_RSS_LIMIT / MIB} MiB RSS`, async (t) => {
    const pool = new Pool(gateway.url, { connections: CONNECTIONS });
    const headers = { accept: MediaType.OCI_MANIFEST };
    const path = '/v2/team/app/manifests/v1';
    const cacheStates = new Map<string, number>();
    let served = 0;
    try {
      const first = await pool.request({ method: 'GET', path, headers });
      await first.body.dump();
      assert.equal(first.statusCode, 200);
      const started = Date.now();
      const client = async (): Promise<void> => {
        while (Date.now() - started < LOAD_MS) {
          const res = await pool.request({ method: 'GET', path, headers });
          await res.body.dump();
          assert.equal(res.statusCode, 200);
          const state = String(res.headers['x-gantry-cache']);
          cacheStates.set(state, (cacheStates.get(state) ?? 0) + 1);
          served++;
        }
      };
      const { peak } = await peakRssDuring(gateway.pid, () => Promise.all(Array.from({ length: CONNECTIONS }, client)));
      t.diagnostic(`${served} requests, cache ${JSON.stringify(Object.fromEntries(cacheStates))}; peak RSS ${(peak / MIB).toFixed(1)} MiB`);
      assert.deepEqual([...cacheStates.keys()], ['hit']);
      assert.ok(peak <= PEAK_RSS_LIMIT, `peak RSS ${(peak / MIB).toFixed(1)} MiB`);
    } finally {
      await pool.close();
    }
  });
});
