import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenCache } from './token-cache';

test('concurrent fetches of one scope set share one call; the key ignores order and duplicates', async () => {
  const cache = new TokenCache();
  let calls = 0;
  const fetch = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 10));
    return { token: `t${calls}`, expiresAt: Date.now() + 60_000 };
  };
  const key = TokenCache.keyOf(['repository:a:pull', 'repository:b:pull']);
  assert.equal(key, TokenCache.keyOf(['repository:b:pull', 'repository:a:pull', 'repository:b:pull']));
  const tokens = await Promise.all(Array.from({ length: 5 }, () => cache.fetch(key, fetch)));
  assert.deepEqual(tokens, ['t1', 't1', 't1', 't1', 't1']);
  assert.equal(cache.peek(key), 't1');
});

test('a token is dropped a margin before it expires; a failed fetch is not cached', async () => {
  let now = 1_000_000;
  const cache = new TokenCache(() => now);
  await cache.fetch('k', async () => ({ token: 'short', expiresAt: now + 60_000 }));
  now += 47_000;
  assert.equal(cache.peek('k'), 'short');
  now += 2_000; // 49 s of 60: inside the 20 % margin
  assert.equal(cache.peek('k'), undefined);
  await assert.rejects(cache.fetch('k', async () => Promise.reject(new Error('down'))));
  assert.equal(await cache.fetch('k', async () => ({ token: 'again', expiresAt: now + 60_000 })), 'again');
});
