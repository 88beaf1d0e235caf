import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SharedToken, SharedTokenStore } from '../../port';
import { TokenCache } from './token-cache';

/** The shared store as two replicas see it: a plain map (Redis itself is tested across processes). */
function sharedStore(): SharedTokenStore & { entries: Map<string, { token: SharedToken; ttlMs: number }> } {
  const entries = new Map<string, { token: SharedToken; ttlMs: number }>();
  return {
    entries,
    get: async (key) => entries.get(key)?.token,
    set: async (key, token, ttlMs) => void entries.set(key, { token, ttlMs }),
    delete: async (key) => void entries.delete(key),
  };
}

test('a token fetched by one replica is reused by another until its margin; it is shared with that TTL', async () => {
  let now = 1_000_000;
  const shared = sharedStore();
  const replicaA = new TokenCache(() => now, shared);
  const replicaB = new TokenCache(() => now, shared);
  let fetches = 0;
  const fetch = async () => ({ token: `t${++fetches}`, expiresAt: now + 60_000 });
  assert.equal(await replicaA.fetch('k', fetch), 't1');
  assert.equal(shared.entries.get('k')?.ttlMs, 48_000, 'shared until expiry minus the 20 % margin');
  assert.equal(await replicaB.fetch('k', fetch), 't1');
  assert.equal(replicaB.peek('k'), 't1');
  assert.equal(fetches, 1);
  now += 49_000; // past the margin: a stale shared entry (Redis would have expired it) is not used
  assert.equal(await replicaB.fetch('k', fetch), 't2');
});

test('a fresh fetch (the last token was refused) skips the shared token and replaces it; delete forgets it everywhere', async () => {
  const shared = sharedStore();
  const replicaA = new TokenCache(Date.now, shared);
  const replicaB = new TokenCache(Date.now, shared);
  let fetches = 0;
  const fetch = async () => ({ token: `t${++fetches}`, expiresAt: Date.now() + 60_000 });
  await replicaA.fetch('k', fetch);
  assert.equal(await replicaB.fetch('k', fetch, true), 't2');
  assert.equal((await shared.get('k'))?.token, 't2');
  await replicaB.delete('k');
  assert.equal(await shared.get('k'), undefined);
  assert.equal(replicaB.peek('k'), undefined);
});
