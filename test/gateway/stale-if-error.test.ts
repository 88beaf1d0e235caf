import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCountingFront, type CountingFront, type FrontMode } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { waitFor } from '../support/temp';
import { assertOciError, V2Client } from '../support/v2-client';

const STALE_WARNING = '110 - "Response is Stale"';
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Every route's tagTtl is 100ms: after 250ms a tag is past revalidation and must be asked upstream. */
const PAST_REVALIDATION_MS = 250;

/** When the upstream fails, a tag seen within the route's staleIfError budget is served from the cache. */
describe('stale-if-error', () => {
  let upstream: Distribution;
  let front: CountingFront;
  let gateway: GatewayProcess;
  let client: V2Client;
  let direct: V2Client;
  before(async () => {
    upstream = await startDistribution();
    front = await startCountingFront(upstream.url);
    gateway = await startGateway({
      backends: {
        up: {
          type: 'registry', url: front.url, retries: 0,
          timeouts: { connectMs: 500, readMs: 1000, requestMs: 1000 },
          circuitBreaker: { failures: 0 },
        },
      },
      routes: [
        { prefix: 'budget/', backend: 'up', tagTtl: '100ms', staleIfError: '300ms' },
        { prefix: 'off/', backend: 'up', tagTtl: '100ms', staleIfError: 0 },
        { prefix: 's/', backend: 'up', tagTtl: '100ms', staleIfError: '1h' },
      ],
    });
    client = new V2Client(gateway.url);
    direct = new V2Client(upstream.url);
  });
  after(async () => {
    await gateway?.stop();
    await front?.stop();
    await upstream?.stop();
  });

  /** Pulls `route/repo:v1` once while the upstream works, then lets it age past revalidation. */
  async function seen(route: string, repo: string): Promise<{ bytes: Buffer; digest: string }> {
    front.mode = 'relay';
    const { manifest } = await direct.pushImage(repo, 'v1');
    const res = await client.request('GET', `/v2/${route}/${repo}/manifests/v1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-gantry-cache'), 'miss');
    await pause(PAST_REVALIDATION_MS);
    return manifest;
  }

  async function assertStale(repo: string, bytes: Buffer): Promise<void> {
    const res = await client.request('GET', `/v2/s/${repo}/manifests/v1`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-gantry-cache'), 'stale');
    assert.equal(res.headers.get('warning'), STALE_WARNING);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
    const head = await client.request('HEAD', `/v2/s/${repo}/manifests/v1`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-gantry-cache'), 'stale');
    await waitFor('the stale log line', async () =>
      logLines(gateway.logs).some((l) => l.backend === 'up' && l.object === `${repo}:v1` && String(l.msg).includes('stale')));
  }

  for (const [mode, repo] of [['fail-500', 'five-hundred'], ['fail-429', 'rate-limited'], ['hang', 'hung']] as [FrontMode, string][]) {
    test(`the upstream ${mode}: the tag is served stale, marked, and logged naming the backend`, async () => {
      const { bytes } = await seen('s', repo);
      front.mode = mode;
      const before = front.count('GET', `/v2/${repo}/manifests/v1`);
      await assertStale(repo, bytes);
      assert.ok(front.count('GET', `/v2/${repo}/manifests/v1`) > before, 'the upstream was asked first');
    });
  }

  test('past the budget the client gets the upstream error, not stale data', async () => {
    await seen('budget', 'expired');
    await pause(300); // the budget is 300ms; the tag was seen more than 550ms ago now
    front.mode = 'fail-500';
    await assertOciError(await client.request('GET', '/v2/budget/expired/manifests/v1'), 503, 'UNAVAILABLE');
    front.mode = 'fail-429';
    await assertOciError(await client.request('GET', '/v2/budget/expired/manifests/v1'), 429, 'TOOMANYREQUESTS');
  });

  test('staleIfError 0 turns it off', async () => {
    await seen('off', 'strict');
    front.mode = 'fail-500';
    await assertOciError(await client.request('GET', '/v2/off/strict/manifests/v1'), 503, 'UNAVAILABLE');
  });

  test('a 404 from the upstream is never hidden by a stale answer', async () => {
    const { digest } = await seen('s', 'deleted');
    assert.equal((await direct.request('DELETE', `/v2/deleted/manifests/${digest}`)).status, 202);
    await assertOciError(await client.request('GET', '/v2/s/deleted/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
  });

  test('the upstream stopped (connection refused): the tag is served stale', async () => {
    const { bytes } = await seen('s', 'stopped');
    await front.stop();
    await assertStale('stopped', bytes);
  });
});
