import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { requireTool } from '../support/tools';
import { ADMIN, type AdminGateway, startAdminGateway } from './admin-api-fixture';

const SCREENSHOT_DIR = resolve(__dirname, '../../../test-output');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** `/admin/docs` in a real Chromium: the page renders every endpoint, without a console error. */
describe('/admin/docs in Chromium', () => {
  const dir = tempDir('admin-docs');
  const profile = tempDir('chromium-profile');
  let admin: AdminGateway;
  let gateway: GatewayProcess;

  before(async () => {
    admin = await startAdminGateway(dir.path);
    gateway = admin.gateway;
  });
  after(async () => {
    await admin?.stop();
    dir.remove();
    profile.remove();
  });

  test('shows every admin endpoint after a Basic login, with no console errors', async () => {
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: requireTool('chromium'),
      args: CHROMIUM_ARGS,
      httpCredentials: { username: ADMIN.username, password: ADMIN.password },
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
      const res = await page.goto(`${gateway.url}/admin/docs`);
      assert.equal(res?.status(), 200);
      await page.locator('.opblock').first().waitFor();
      const paths = await page.locator('.opblock-summary-path').allTextContents();
      const methods = await page.locator('.opblock-summary-method').allTextContents();
      const shown = paths.map((path, i) => `${methods[i]} ${path.replace(/\u200b/g, '').trim()}`).sort();
      assert.deepEqual(shown, [
        'DELETE /admin/v1/cache', 'DELETE /admin/v1/robots/{name}', 'GET /admin/v1/backends', 'GET /admin/v1/cache', 'GET /admin/v1/robots',
        'POST /admin/v1/access/explain', 'POST /admin/v1/robots',
        'DELETE /admin/v1/replication/jobs/{id}', 'GET /admin/v1/replication/jobs', 'GET /admin/v1/replication/jobs/{id}',
        'POST /admin/v1/replication/jobs/{id}/retry', 'POST /admin/v1/replication/run',
        'GET /admin/v1/stats/history', 'GET /admin/v1/access/denials',
      ].sort());
      assert.match(await page.locator('.info .title').innerText(), /Gantry admin API/);
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-docs.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
