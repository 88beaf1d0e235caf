import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runUntilExit } from '../support/worker-process';

const backends = { a: { type: 'registry', url: 'http://127.0.0.1:1' }, b: { type: 'registry', url: 'http://127.0.0.1:2' } };
const rule = { name: 'a-to-b', source: { backend: 'a', repositories: ['**'] }, destinations: [{ backend: 'b' }] };

for (const program of ['gateway', 'worker'] as const) {
  test(`${program}: rules without redis stop the start (exit 2) naming replication.rules`, async () => {
    const { code, stderr } = await runUntilExit(program, { backends, routes: [{ prefix: '', backend: 'a' }], replication: { rules: [rule] } });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /replication\.rules/);
    assert.match(stderr, /redis/);
  });

  test(`${program}: a rule naming an unknown backend stops the start naming the key`, async () => {
    const { code, stderr } = await runUntilExit(program, {
      redis: { url: 'redis://127.0.0.1:1' },
      backends,
      routes: [{ prefix: '', backend: 'a' }],
      replication: { rules: [{ ...rule, destinations: [{ backend: 'b' }, { backend: 'nowhere' }] }] },
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /replication\.rules\[0\]\.destinations\[1\]\.backend: unknown backend "nowhere"/);
  });
}

test('worker: a config without rules has nothing to run (exit 2)', async () => {
  const { code, stderr } = await runUntilExit('worker', { backends, routes: [{ prefix: '', backend: 'a' }] });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /replication\.rules/);
});
