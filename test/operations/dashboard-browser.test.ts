import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { basic, PASSWORDS, usersConfig } from '../access/access-fixtures';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir, waitFor } from '../support/temp';
import { requireTool } from '../support/tools';
import { imageManifest, sha256, V2Client } from '../support/v2-client';
import { registryBackend } from '../replication/replication-fixtures';
import { type SteppingSource, startSteppingSource } from './stepping-source';

const SCREENSHOT_DIR = resolve(__dirname, '../../../test-output');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const MiB = 1024 * 1024;
const HOSTILE_NAME = '<img src=x onerror="window.injected=true">';

/** The page's document, in functions that run in the browser (the tests compile without the DOM library). */
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null };

/**
 * `/ui` in a real Chromium against a realistic gateway: three registry backends (one stopped),
 * auth on, a chunked replication copy that advances one chunk when the test says, some pulls
 * and a denied one.
 */
describe('/ui dashboard in Chromium', () => {
  const profile = tempDir('chromium-profile');
  let redis: RedisProcess;
  let origin: Distribution;
  let mirror: Distribution;
  let stopped: Distribution;
  let source: SteppingSource;
  let gateway: GatewayProcess;
  const layer = { bytes: randomBytes(48 * MiB), digest: '' };
  layer.digest = sha256(layer.bytes);

  before(async () => {
    [redis, origin, mirror, stopped] = await Promise.all([startRedis(), startDistribution(), startDistribution(), startDistribution()]);
    await stopped.stop();
    // The first chunk's read goes through; every further one waits for a step.
    source = await startSteppingSource(origin.url, `/v2/team/big/blobs/${layer.digest}`, 1);
    gateway = await startGateway({
      redis: { url: redis.url },
      backends: { origin: registryBackend(source.url), mirror: registryBackend(mirror.url), archive: registryBackend(stopped.url) },
      routes: [{ prefix: 'archive/', backend: 'archive' }, { prefix: 'mirror/', backend: 'mirror' }, { prefix: '', backend: 'origin' }],
      auth: {
        users: usersConfig(),
        rules: [
          { name: 'operators', subjects: ['user:alice'], repositories: ['**'], actions: ['admin', 'pull', 'push'] },
          { name: 'team-readers', subjects: ['user:bob'], repositories: ['team/**'], actions: ['pull'] },
        ],
      },
      replication: {
        workers: 'inline',
        chunkThreshold: '8MiB',
        chunkSize: '8MiB',
        rules: [{ name: 'to-mirror', source: { backend: 'origin', repositories: ['team/big'] }, destinations: [{ backend: 'mirror' }], triggers: ['manual'] }],
      },
    });
  });
  after(async () => {
    source?.release();
    await gateway?.stop();
    await source?.stop();
    await Promise.all([origin?.stop(), mirror?.stop(), redis?.stop()]);
    profile.remove();
  });

  test('signs in, shows the stopped backend down, a copy moving, the traffic and a denial with its reason, without console errors', async () => {
    const direct = new V2Client(origin.url);
    const small = await direct.pushImage('team/small', 'v1');
    const config = { bytes: Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'), digest: '' };
    config.digest = sha256(config.bytes);
    await direct.pushBlob('team/big', config);
    await direct.pushBlob('team/big', layer);
    assert.equal((await direct.pushManifest('team/big', 'v1', imageManifest(config, [layer]))).status, 201);

    // Traffic, and one pull bob may not make.
    const alice = new V2Client(gateway.url, basic('alice'));
    for (let i = 0; i < 5; i++) assert.equal((await alice.request('GET', '/v2/team/small/manifests/v1')).status, 200);
    assert.equal((await alice.request('GET', `/v2/team/small/blobs/${small.layer.digest}`)).status, 200);
    const denied = await new V2Client(gateway.url, basic('bob')).request('GET', '/v2/secret/app/manifests/v1');
    assert.equal(denied.status, 403, await denied.text());
    let reason = '';
    await waitFor('the denial in the audit log', async () => {
      const line = logLines(gateway.logs).find((l) => l.audit && l.decision === 'deny' && l.subject === 'user:bob' && l.repository === 'secret/app');
      reason = String(line?.reason ?? '');
      return reason !== '';
    });

    // A login as a name that is markup: the dashboard must show it as text, never run it.
    const hostile = await fetch(`${gateway.url}/token`, { headers: { authorization: `Basic ${Buffer.from(`${HOSTILE_NAME}:nope`).toString('base64')}` } });
    assert.equal(hostile.status, 401);

    const run = await fetch(`${gateway.url}/admin/v1/replication/run`, { method: 'POST', headers: { authorization: basic('alice') }, body: JSON.stringify({ rule: 'to-mirror' }) });
    assert.equal(run.status, 202, await run.clone().text());
    await waitFor('the second chunk held', async () => source.reads() >= 2);

    const context = await chromium.launchPersistentContext(profile.path, { executablePath: requireTool('chromium'), args: CHROMIUM_ARGS, viewport: { width: 1280, height: 600 } });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
      const res = await page.goto(`${gateway.url}/ui`);
      assert.equal(res?.status(), 200);
      assert.match((await res!.allHeaders())['content-security-policy'] ?? '', /script-src 'self'/);

      await page.locator('#login').waitFor();
      await page.fill('#login input[name=username]', 'alice');
      await page.fill('#login input[name=password]', PASSWORDS.alice);
      await page.click('#login button[type=submit]');
      await page.locator('#dashboard').waitFor();

      await assertText(page, 'tr[data-backend="archive"] .health', 'down');
      await assertText(page, 'tr[data-backend="origin"] .health', 'up');
      await assertText(page, 'tr[data-backend="mirror"] .health', 'up');

      const bar = page.locator('#jobs tr[data-job] progress').first();
      await bar.waitFor();
      const before = await progressOf(page);
      source.step();
      await page.waitForFunction((was) => Number(document.querySelector('#jobs tr[data-job] progress')?.getAttribute('value')) > was, before);
      const later = await progressOf(page);
      assert.ok(later > before && later < 1, `the bar moved from ${before} to ${later}`);

      for (const chart of ['#requests-chart', '#hit-ratio-chart']) {
        await page.locator(`${chart} canvas`).first().waitFor();
        await page.waitForFunction((selector) => Number(document.querySelector(selector)?.getAttribute('data-points')) > 0, chart);
      }

      const denial = page.locator('#denials tr', { hasText: 'secret/app' }).first();
      await denial.waitFor();
      assert.match(await denial.innerText(), /user:bob/);
      assert.equal(await denial.locator('.reason').evaluate((td) => td.firstChild?.textContent), reason);

      const hostileRow = page.locator('#denials tr', { hasText: HOSTILE_NAME }).first();
      await hostileRow.waitFor();
      assert.equal(await page.locator('#denials img').count(), 0, 'a name became markup');
      assert.equal(await page.evaluate(() => (globalThis as { injected?: boolean }).injected), undefined);

      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'dashboard.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

async function assertText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent?.trim() === t, [selector, text]);
}

async function progressOf(page: Page): Promise<number> {
  return Number(await page.locator('#jobs tr[data-job] progress').first().getAttribute('value'));
}
