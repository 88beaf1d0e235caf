import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startGateway } from '../support/gateway-process';
import { tempDir } from '../support/temp';

describe('GET /admin/v1/backends', () => {
  const dir = tempDir('admin-status');
  after(() => dir.remove());

  test('reports each backend without filesystem paths (the admin API is not protected)', async () => {
    const store = join(dir.path, 'secret-looking-store');
    const gateway = await startGateway({
      backends: { store: { type: 'local', path: store, delete: false } },
      routes: [{ prefix: '', backend: 'store' }],
    });
    try {
      const res = await fetch(`${gateway.url}/admin/v1/backends`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { backends: [{ name: 'store', type: 'local', delete: false }] });
      assert.equal(text.includes(dir.path), false, `a path was shown: ${text}`);
    } finally {
      await gateway.stop();
    }
  });
});
