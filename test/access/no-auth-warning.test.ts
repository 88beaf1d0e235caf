import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { tempDir, waitFor } from '../support/temp';

/** Without an `auth` section Gantry serves anonymously, and says so once at start. */
describe('no auth section', () => {
  let gateway: GatewayProcess;
  const store = tempDir('no-auth');

  before(async () => {
    gateway = await startGateway({ backends: { store: { type: 'local', path: store.path } }, routes: [{ prefix: '', backend: 'store' }] });
  });
  after(async () => {
    await gateway?.stop();
    store.remove();
  });

  test('one warning names the listen address; requests need no credentials', async () => {
    const expected = `no auth section: anyone who can reach ${gateway.host} may push and delete`;
    await waitFor('the warning', async () => logLines(gateway.logs).some((l) => l.msg === expected));
    assert.equal((await fetch(`${gateway.url}/v2/`)).status, 200);
    assert.equal((await fetch(`${gateway.url}/v2/_catalog`)).status, 200);
    const warnings = logLines(gateway.logs).filter((l) => typeof l.msg === 'string' && l.msg.includes('anyone who can reach'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.level, 40);
    assert.equal((await fetch(`${gateway.url}/token`)).status, 404);
  });
});
