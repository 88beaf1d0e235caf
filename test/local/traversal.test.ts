import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { randomBlob, V2Client } from '../support/v2-client';

/** Names, digests and upload ids that try to leave the store: an OCI error, and nothing written outside. */
describe('path traversal through the gateway into the local store', () => {
  const dir = tempDir('traversal');
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    gateway = await startGateway({ backends: { store: { type: 'local', path: join(dir.path, 'store') } }, routes: [{ prefix: '', backend: 'store' }] });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  test('every attempt is a 4xx OCI error and the directory around the store is untouched', async () => {
    const before = readdirSync(dir.path).sort();
    const blob = randomBlob(64);
    const attempts: [string, string][] = [
      ['POST', `/v2/../../escape/blobs/uploads/?digest=${blob.digest}`],
      ['POST', `/v2/a/%2e%2e/%2e%2e/escape/blobs/uploads/`],
      ['POST', `/v2/%2fetc%2fpasswd/blobs/uploads/`],
      ['PUT', `/v2/ok/manifests/..%2f..%2fescape`],
      ['PUT', `/v2/ok/manifests/sha256:..%2f..%2f${'a'.repeat(58)}`],
      ['GET', `/v2/ok/blobs/sha256:..%2f..%2f..%2fetc%2fpasswd`],
      ['GET', `/v2/ok/blobs/sha256%3a${'a'.repeat(64)}%2f..`],
      ['PATCH', `/v2/ok/blobs/uploads/..%2f..%2fescape`],
      ['PUT', `/v2/ok/blobs/uploads/%2e%2e?digest=${blob.digest}`],
      ['DELETE', `/v2/ok/blobs/uploads/..`],
      ['GET', `/v2/ok/referrers/sha256:..%2f..`],
    ];
    for (const [method, path] of attempts) {
      const res = await client.rawStatus(method, path);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.body}`);
      if (method !== 'HEAD') assert.match(res.body, /"errors":\[\{"code":"[A-Z_]+"/, `${method} ${path}`);
    }
    assert.deepEqual(readdirSync(dir.path).sort(), before, 'nothing appeared next to the store');
  });
});
