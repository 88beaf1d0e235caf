import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FileUploadSessionStore } from './file-upload-session-store';
import { MemoryUploadSessionStore } from './memory-upload-session-store';
import type { SessionAging, UploadSession, UploadSessionStore } from './upload-session';

const root = mkdtempSync(join(tmpdir(), 'gantry-sessions-'));
after(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 3600 * 1000;

function session(id: string, name: string, createdAt: number): UploadSession {
  return { id, name, backend: 'b', upstreamName: name, handle: `{"id":"${id}"}`, offset: 10, createdAt };
}

const id = (n: number): string => `0b7e3f8a-1c2d-4e5f-8a9b-${String(n).padStart(12, '0')}`;

/** A clock the test moves by hand. */
function manualClock(): SessionAging & { advance(ms: number): void } {
  let now = 1_000_000_000_000;
  return { maxAgeMs: 24 * HOUR, now: () => now, advance: (ms) => (now += ms) };
}

let dirs = 0;
const kinds: [string, (aging: SessionAging) => UploadSessionStore][] = [
  ['memory', (aging) => new MemoryUploadSessionStore(aging)],
  ['file', (aging) => new FileUploadSessionStore(join(root, `store-${++dirs}`), aging)],
];

for (const [kind, open] of kinds) {
  describe(`${kind} upload session store`, () => {
    test('counts open sessions in all and per repository', async () => {
      const clock = manualClock();
      const store = open(clock);
      await store.save(session(id(1), 'team/a', clock.now!()));
      await store.save(session(id(2), 'team/a', clock.now!()));
      await store.save(session(id(3), 'team/b', clock.now!()));
      assert.deepEqual(await store.count('team/a'), { total: 3, repository: 2 });
      await store.delete(id(1));
      assert.deepEqual(await store.count('team/a'), { total: 2, repository: 1 });
      assert.deepEqual(await store.count('team/c'), { total: 2, repository: 0 });
    });

    test('insert saves a new session only while both caps have room', async () => {
      const clock = manualClock();
      const store = open(clock);
      const caps = { maxTotal: 3, maxPerRepository: 2 };
      assert.equal(await store.insert(session(id(11), 'team/a', clock.now!()), caps), undefined);
      assert.equal(await store.insert(session(id(12), 'team/a', clock.now!()), caps), undefined);
      assert.deepEqual(await store.insert(session(id(13), 'team/a', clock.now!()), caps), { total: 2, repository: 2 });
      assert.equal(await store.get(id(13)), undefined);
      assert.equal(await store.insert(session(id(14), 'team/b', clock.now!()), caps), undefined);
      assert.deepEqual(await store.insert(session(id(15), 'team/c', clock.now!()), caps), { total: 3, repository: 0 });
    });

    test('an expired session is unknown, and the sweep takes it (once) for its backend side to be cancelled', async () => {
      const clock = manualClock();
      const store = open(clock);
      const old = session(id(4), 'team/a', clock.now!());
      await store.save(old);
      clock.advance(12 * HOUR);
      const young = session(id(5), 'team/a', clock.now!());
      await store.save(young);
      assert.deepEqual(await store.takeExpired(), []);
      clock.advance(13 * HOUR);
      assert.equal(await store.get(old.id), undefined);
      assert.deepEqual(await store.get(young.id), young);
      assert.deepEqual(await store.takeExpired(), [old]);
      assert.deepEqual(await store.takeExpired(), []);
      assert.deepEqual(await store.count('team/a'), { total: 1, repository: 1 });
    });
  });
}

describe('file upload session store', () => {
  test('sessions survive a new store on the same directory; ids that are not UUIDs are unknown', async () => {
    const dir = join(root, 'reopen');
    const aging = { maxAgeMs: 24 * HOUR };
    const saved = session(id(6), 'team/app', Date.now());
    await new FileUploadSessionStore(dir, aging).save(saved);
    const reopened = new FileUploadSessionStore(dir, aging);
    assert.deepEqual(await reopened.get(saved.id), saved);
    assert.deepEqual(await reopened.count('team/app'), { total: 1, repository: 1 });
    assert.equal(await reopened.get('../../etc/passwd'), undefined);
    await reopened.delete(saved.id);
    assert.equal(await reopened.get(saved.id), undefined);
  });

  test('unreadable session files and temp files left by a crash are removed when the store opens', () => {
    const dir = join(root, 'crash');
    new FileUploadSessionStore(dir, { maxAgeMs: HOUR });
    writeFileSync(join(dir, `${id(7)}.json`), '{not json');
    const temp = join(dir, `${id(8)}.json.123.tmp`);
    writeFileSync(temp, '{}');
    const old = new Date(Date.now() - 2 * HOUR);
    utimesSync(temp, old, old);
    new FileUploadSessionStore(dir, { maxAgeMs: HOUR });
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(existsSync(temp), false);
  });
});
