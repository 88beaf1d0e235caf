import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { jsonOf, V2Client } from '../support/v2-client';

/** One `_catalog` over every backend, each name with its route's prefix put back. */
describe('catalog federation', () => {
  const dir = tempDir('catalog');
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    upstream = await startDistribution({ kind: 'none' });
    gateway = await startGateway({
      backends: {
        corp: { type: 'registry', url: upstream.url },
        store: { type: 'local', path: join(dir.path, 'store') },
      },
      routes: [
        { prefix: 'corp/', backend: 'corp', upstreamPrefix: 'mirror/' },
        { prefix: '', backend: 'store' },
      ],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    dir.remove();
  });

  test('names from both backends, prefixes restored, paginated across them', async () => {
    await client.pushImage('corp/team/a', 'v1');
    await client.pushImage('corp/team/b', 'v1');
    await client.pushImage('alpha/app', 'v1');
    await client.pushImage('zulu/app', 'v1');
    // Outside the route's upstreamPrefix: not reachable through Gantry, so not listed.
    const direct = new V2Client(upstream.url);
    await direct.pushImage('elsewhere/app', 'v1');

    const all = await jsonOf<{ repositories: string[] }>(await client.request('GET', '/v2/_catalog'));
    assert.deepEqual(all.repositories, ['alpha/app', 'corp/team/a', 'corp/team/b', 'zulu/app']);

    const seen: string[] = [];
    let path: string | undefined = '/v2/_catalog?n=3';
    while (path) {
      const res = await client.request('GET', path);
      seen.push(...(await jsonOf<{ repositories: string[] }>(res)).repositories);
      path = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    assert.deepEqual(seen, all.repositories);
  });
});
