import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { GantryConfig } from '#config';
import { OciError } from '#oci';
import type { Registry } from '#registry';
import { MemoryUploadSessionStore } from './memory-upload-session-store';
import { UploadSessionSweeper } from './upload-session-sweeper';

const HOUR = 3600 * 1000;

/** A backend that only records (or refuses) cancellations: the sweep's one call into it. */
function cancellingBackend(fails: boolean): { registry: Registry; cancelled: string[] } {
  const cancelled: string[] = [];
  const registry = {
    async cancelUpload(_repo: string, handle: string): Promise<void> {
      cancelled.push(handle);
      if (fails) throw new OciError('BLOB_UPLOAD_UNKNOWN');
    },
  } as unknown as Registry;
  return { registry, cancelled };
}

test('a sweep removes expired sessions and cancels each on its backend, whatever one backend answers', async () => {
  let now = 1_000_000_000_000;
  const store = new MemoryUploadSessionStore({ maxAgeMs: 24 * HOUR, now: () => now });
  const gone = cancellingBackend(true);
  const live = cancellingBackend(false);
  const backends = new Map([['gone', gone.registry], ['live', live.registry]]);
  const config = { server: { uploadSessions: { maxAgeSeconds: 24 * 3600 } } } as GantryConfig;
  const sweeper = new UploadSessionSweeper(store, backends, config, pino({ level: 'silent' }));
  const session = (id: string, backend: string, createdAt: number) =>
    ({ id, name: 'team/app', backend, upstreamName: 'team/app', handle: `h-${id}`, offset: 0, createdAt });

  await store.save(session('1', 'gone', now));
  await store.save(session('2', 'live', now));
  now += 20 * HOUR;
  await store.save(session('3', 'live', now));
  assert.equal(await sweeper.sweep(), 0);
  now += 5 * HOUR;

  // Two sweeps asked at once run as one.
  const [first, second] = await Promise.all([sweeper.sweep(), sweeper.sweep()]);
  assert.deepEqual([first, second], [2, 2]);
  assert.deepEqual(gone.cancelled, ['h-1']);
  assert.deepEqual(live.cancelled, ['h-2']);
  assert.deepEqual(await store.count('team/app'), { total: 1, repository: 1 });
  assert.ok(await store.get('3'));
});
