import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';

interface Readiness {
  status: 'ready' | 'degraded' | 'unready';
  config: string;
  redis?: { state: 'up' | 'down'; error?: string };
  backends: { name: string; state: 'up' | 'down'; error?: string }[];
}

/**
 * Readiness against real processes: Redis and two distributions. One backend down degrades the
 * body (200); Redis down, or every backend down, is 503.
 */
describe('GET /readyz', () => {
  let redis: RedisProcess;
  let east: Distribution;
  let west: Distribution;
  let gateway: GatewayProcess;

  const readyz = async (): Promise<{ status: number; body: Readiness }> => {
    const res = await fetch(`${gateway.url}/readyz`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return { status: res.status, body: (await res.json()) as Readiness };
  };
  const stateOf = (body: Readiness, name: string): string | undefined => body.backends.find((b) => b.name === name)?.state;

  before(async () => {
    [redis, east, west] = await Promise.all([startRedis(), startDistribution(), startDistribution()]);
    gateway = await startGateway({
      redis: { url: redis.url, keyPrefix: `readyz-${process.pid}:` },
      backends: {
        east: { type: 'registry', url: east.url, retries: 0 },
        west: { type: 'registry', url: west.url, retries: 0 },
      },
      routes: [
        { prefix: 'east/', backend: 'east' },
        { prefix: '', backend: 'west' },
      ],
    });
  });
  after(async () => {
    await gateway?.stop();
    await Promise.allSettled([redis?.stop(), east?.stop(), west?.stop()]);
  });

  test('is ready with Redis and every backend up', async () => {
    // Until its Redis connection is up (it opens as the gateway starts) the answer is 503.
    await waitFor('readyz 200 once Redis is connected', async () => (await readyz()).status === 200);
    const { status, body } = await readyz();
    assert.equal(status, 200);
    assert.deepEqual(body, {
      status: 'ready', config: 'loaded', redis: { state: 'up' },
      backends: [{ name: 'east', state: 'up' }, { name: 'west', state: 'up' }],
    });
  });

  test('one backend down: 200, degraded, the backend named with its error', async () => {
    await east.stop();
    const { status, body } = await readyz();
    assert.equal(status, 200);
    assert.equal(body.status, 'degraded');
    assert.equal(stateOf(body, 'east'), 'down');
    assert.equal(stateOf(body, 'west'), 'up');
    assert.match(body.backends.find((b) => b.name === 'east')?.error ?? '', /east/);
  });

  test('Redis killed: 503 naming Redis; back to 200 when it returns', async () => {
    await redis.kill();
    const down = await readyz();
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'unready');
    assert.equal(down.body.redis?.state, 'down');
    assert.equal(stateOf(down.body, 'west'), 'up', 'the backends are still reported');
    await redis.restart();
    await waitFor('readyz back to 200 after Redis returns', async () => (await readyz()).status === 200);
    assert.equal((await readyz()).body.redis?.state, 'up');
  });

  test('every backend down: 503', async () => {
    await west.stop();
    const { status, body } = await readyz();
    assert.equal(status, 503);
    assert.equal(body.status, 'unready');
    assert.deepEqual(body.backends.map((b) => b.state), ['down', 'down']);
    assert.equal(body.redis?.state, 'up');
  });

  test('liveness stays 200 throughout', async () => {
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
  });
});
