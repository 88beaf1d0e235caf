import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { CacheStore } from '#cache';
import { waitFor } from '../support/temp';

/** A store under test and what the contract may do with it. */
export interface StoreFixture {
  store: CacheStore;
  /** Lets `ms` pass for the parts on an injected clock (memory); Redis keeps real time. */
  advance(ms: number): void;
  /** The remaining time to live as the backing service reports it (Redis PTTL; -1 = none). */
  remainingTtl?(key: string): Promise<number>;
  /** stats() counts exactly what this store holds (not an approximation of a shared database). */
  exactStats: boolean;
  close(): Promise<void>;
}

const bytes = (text: string): Buffer => Buffer.from(text);

/** The one behaviour every CacheStore has, whatever it runs on. */
export function cacheStoreContract(
  name: string,
  create: () => Promise<StoreFixture>,
  /** A store with a byte bound of its own (LRU eviction is then checked). */
  options: { maxBytes?: number } = {},
): void {
  const { maxBytes } = options;
  describe(`CacheStore contract: ${name}`, () => {
    let f: StoreFixture;
    beforeEach(async () => {
      f = await create();
    });
    afterEach(async () => {
      await f.close();
    });

    test('a key never set is a miss; a set one answers the same bytes', async () => {
      assert.equal(await f.store.get('absent'), undefined);
      const value = Buffer.from([0, 1, 2, 255, 0x7b]);
      await f.store.set('manifest:sha256:abc', value, 0);
      assert.deepEqual(await f.store.get('manifest:sha256:abc'), value);
    });

    test('a second set replaces the value', async () => {
      await f.store.set('tag:a', bytes('one'), 60_000);
      await f.store.set('tag:a', bytes('two'), 60_000);
      assert.deepEqual(await f.store.get('tag:a'), bytes('two'));
    });

    test('an entry with a ttl is kept for that long, then goes', async () => {
      await f.store.set('long', bytes('v'), 60_000);
      await f.store.set('short', bytes('v'), 150);
      assert.deepEqual(await f.store.get('long'), bytes('v'));
      if (f.remainingTtl) {
        const ttl = await f.remainingTtl('long');
        assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
      }
      f.advance(151);
      await waitFor('the short entry to expire', async () => (await f.store.get('short')) === undefined, 10_000);
      assert.deepEqual(await f.store.get('long'), bytes('v'));
    });

    test('ttl 0 never expires', async () => {
      await f.store.set('forever', bytes('v'), 0);
      f.advance(30 * 24 * 3600 * 1000);
      assert.deepEqual(await f.store.get('forever'), bytes('v'));
      if (f.remainingTtl) assert.equal(await f.remainingTtl('forever'), -1);
    });

    test('delete removes exactly the keys given', async () => {
      for (const key of ['a', 'b', 'c']) await f.store.set(key, bytes(key), 0);
      await f.store.delete(['a', 'c', 'never-set']);
      await f.store.delete([]);
      assert.equal(await f.store.get('a'), undefined);
      assert.deepEqual(await f.store.get('b'), bytes('b'));
      assert.equal(await f.store.get('c'), undefined);
    });

    test('deletePrefix removes every key under the prefix, literally, and says how many', async () => {
      const keys = ['repo/x:1', 'repo/x:2', 'repo/y:1', 'repo*:1', 'other:1'];
      for (const key of keys) await f.store.set(key, bytes(key), 60_000);
      assert.equal(await f.store.deletePrefix('repo/x:'), 2);
      // A glob character in the prefix is a character, not a pattern.
      assert.equal(await f.store.deletePrefix('repo*'), 1);
      assert.equal(await f.store.get('repo/x:1'), undefined);
      assert.equal(await f.store.get('repo*:1'), undefined);
      assert.deepEqual(await f.store.get('repo/y:1'), bytes('repo/y:1'));
      assert.deepEqual(await f.store.get('other:1'), bytes('other:1'));
      assert.equal(await f.store.deletePrefix('nothing-here'), 0);
    });

    test('stats count entries and bytes', async () => {
      await f.store.set('s1', Buffer.alloc(100), 0);
      await f.store.set('s2', Buffer.alloc(200), 0);
      const stats = await f.store.stats();
      if (f.exactStats) {
        assert.equal(stats.entries, 2);
        assert.ok(stats.bytes >= 300, `bytes ${stats.bytes}`);
        await f.store.delete(['s1']);
        assert.equal((await f.store.stats()).entries, 1);
      } else {
        assert.ok(stats.entries >= 2, `entries ${stats.entries}`);
        assert.ok(stats.bytes >= 300, `bytes ${stats.bytes}`);
      }
    });

    if (maxBytes === undefined) return;
    test('holds no more bytes than its bound, least recently used out first', async () => {
      const size = Math.floor(maxBytes / 5);
      await f.store.set('e0', Buffer.alloc(size, 0), 0);
      for (let i = 1; i < 10; i++) {
        await f.store.get('e0'); // kept warm: it must outlive colder entries
        await f.store.set(`e${i}`, Buffer.alloc(size, i), 0);
      }
      const stats = await f.store.stats();
      assert.ok(stats.bytes <= maxBytes, `${stats.bytes} > ${maxBytes}`);
      assert.ok(stats.entries < 10);
      assert.ok(await f.store.get('e0'), 'the entry read all along is still there');
      assert.equal(await f.store.get('e1'), undefined, 'the coldest entry went');
      assert.deepEqual(await f.store.get('e9'), Buffer.alloc(size, 9));
    });
  });
}
