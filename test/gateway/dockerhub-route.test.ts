import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort, waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';

const RATE_LIMIT = { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '203.0.113.7' };

/**
 * A Docker Hub stand-in: a token-auth distribution whose token service lives on another host
 * (as auth.docker.io does), behind a pass-through that adds Hub's rate-limit headers to manifests.
 */
async function startHubStandIn(upstream: Distribution): Promise<{ url: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    // Host is kept, so the registry's Locations point back at this stand-in as they would at Hub.
    const forward = request(`${upstream.url}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      const extra = /\/manifests\//.test(req.url ?? '') && up.statusCode === 200 ? RATE_LIMIT : {};
      res.writeHead(up.statusCode ?? 502, { ...up.headers, ...extra });
      up.pipe(res);
    });
    req.pipe(forward);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, paths, server };
}

describe('the dockerhub route through the gateway', () => {
  let upstream: Distribution;
  let hub: { url: string; paths: string[]; server: Server };
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    upstream = await startDistribution({ kind: 'token', users: { 'ci-bot': 'dckr_pat_secret' }, anonymousPull: true });
    hub = await startHubStandIn(upstream);
    gateway = await startGateway({
      backends: {
        hub: {
          type: 'dockerhub', url: hub.url, credentials: { username: 'ci-bot', password: 'dckr_pat_secret' },
          allowedRealmHosts: [new URL(upstream.tokenServer!.url).host],
        },
      },
      routes: [{ prefix: 'hub/', backend: 'hub' }],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await new Promise((resolve) => hub?.server.close(resolve));
    await upstream?.stop();
  });

  test('hub/alpine is library/alpine upstream, and the client sees Hub rate limits', async () => {
    const { manifest } = await client.pushImage('hub/alpine', '3');
    assert.ok(hub.paths.some((p) => p.startsWith('/v2/library/alpine/manifests/3')), hub.paths.join('\n'));
    const res = await client.request('GET', '/v2/hub/alpine/manifests/3', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), manifest.bytes);
    for (const [name, value] of Object.entries(RATE_LIMIT)) assert.equal(res.headers.get(name), value);
    // The log line crosses a pipe from the gateway process; give it a moment to arrive.
    await waitFor('the rate-limit log line', async () => /"remaining":"76;w=21600"/.test(gateway.logs.join('')));
    assert.ok(!gateway.logs.join('').includes('dckr_pat_secret'));
    const tokenCalls = upstream.tokenServer!.requests.length;
    await client.request('GET', '/v2/hub/alpine/manifests/3');
    assert.equal(upstream.tokenServer!.requests.length, tokenCalls, 'the token was cached');
  });
});
