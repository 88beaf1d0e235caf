import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RefreshingSecret } from './refreshing-secret';

/** A clock the test moves, and a fetcher that counts calls and hands out numbered secrets. */
function setup(lifetimeMs: number, options: { fail?: () => boolean } = {}) {
  let now = 1_000_000;
  let calls = 0;
  const secret = new RefreshingSecret(
    async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (options.fail?.()) throw new Error('issuer refused');
      return { value: `secret-${calls}`, expiresAt: now + lifetimeMs };
    },
    { now: () => now },
  );
  return { secret, calls: () => calls, advance: (ms: number) => (now += ms) };
}

test('concurrent callers share one fetch, and the value is reused until shortly before expiry', async () => {
  const { secret, calls, advance } = setup(12 * 3600_000);
  const values = await Promise.all(Array.from({ length: 50 }, () => secret.get()));
  assert.equal(calls(), 1);
  assert.ok(values.every((v) => v === 'secret-1'));
  advance(12 * 3600_000 - 6 * 60_000);
  assert.equal(await secret.get(), 'secret-1', 'still 6 minutes to go: reused');
  advance(2 * 60_000);
  assert.equal(await secret.get(), 'secret-2', 'inside the 5-minute margin: renewed');
});

test('short lifetimes keep 80% of their life (the margin is capped at a fifth)', async () => {
  const { secret, calls, advance } = setup(1000);
  await secret.get();
  advance(750);
  await secret.get();
  assert.equal(calls(), 1);
  advance(100);
  await secret.get();
  assert.equal(calls(), 2);
});

test('invalidate drops a value in use for a while, but not one just fetched', async () => {
  const { secret, calls, advance } = setup(3600_000);
  await secret.get();
  secret.invalidate();
  await secret.get();
  assert.equal(calls(), 1, 'a burst of refusals of the previous value must not refetch again and again');
  advance(1500);
  secret.invalidate('rejected');
  assert.equal(secret.state().state, 'error');
  assert.equal(await secret.get(), 'secret-2');
  assert.equal(calls(), 2);
});

test('state tells valid-until and the last error, never the value', async () => {
  let failing = false;
  const { secret, advance } = setup(3600_000, { fail: () => failing });
  assert.deepEqual(secret.state(), { state: 'unknown' });
  await secret.get();
  const valid = secret.state();
  assert.equal(valid.state, 'valid');
  assert.equal(valid.validUntil, new Date(1_000_000 + 3600_000).toISOString());
  assert.equal(JSON.stringify(valid).includes('secret-1'), false);
  advance(3600_000);
  failing = true;
  await assert.rejects(secret.get(), /issuer refused/);
  assert.deepEqual(secret.state(), { state: 'error', lastError: 'issuer refused' });
  failing = false;
  assert.equal(await secret.get(), 'secret-3', 'a failure is not cached');
});
