import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadSigningKeys } from './signing-keys';
import { TokenRejected } from './token-rejected';
import { TokenService } from './token-service';
import type { Subject } from './subject';

const dir = mkdtempSync(join(tmpdir(), 'gantry-token-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const robot: Subject = { kind: 'robot', name: 'ci', groups: ['builders'], grants: [{ repositories: ['ci/**'], actions: ['pull'] }] };
const settings = { issuer: 'gantry', service: 'gantry', tokenTtlMs: 300_000, refreshTokenTtlMs: 3_600_000 };

test('a token carries what rebuilds its subject and its access', async () => {
  const tokens = new TokenService(await loadSigningKeys(join(dir, 'a.pem'), []), settings);
  const issued = await tokens.issueAccessToken(robot, [{ type: 'repository', name: 'ci/app', actions: ['pull'] }]);
  const verified = await tokens.verifyAccessToken(issued.token);
  assert.deepEqual(verified.subject, robot);
  assert.equal(verified.access.covers('ci/app', 'pull'), true);
  assert.equal(verified.access.covers('ci/app', 'push'), false);
  assert.equal(verified.access.covers(undefined, 'catalog'), false);
});

test('a remembered token still expires: the cache never outlives the token', async () => {
  let now = Date.now();
  const tokens = new TokenService(await loadSigningKeys(join(dir, 'b.pem'), []), settings, () => now);
  const issued = await tokens.issueAccessToken(robot, []);
  await tokens.verifyAccessToken(issued.token);
  now += 301_000 + 10_000;
  await assert.rejects(tokens.verifyAccessToken(issued.token), TokenRejected);
});

test('refresh and access tokens are not interchangeable', async () => {
  const tokens = new TokenService(await loadSigningKeys(join(dir, 'c.pem'), []), settings);
  const refresh = await tokens.issueRefreshToken(robot);
  const access = await tokens.issueAccessToken(robot, []);
  await assert.rejects(tokens.verifyAccessToken(refresh.token), TokenRejected);
  await assert.rejects(tokens.verifyRefreshToken(access.token), TokenRejected);
  assert.deepEqual(await tokens.verifyRefreshToken(refresh.token), robot);
});
