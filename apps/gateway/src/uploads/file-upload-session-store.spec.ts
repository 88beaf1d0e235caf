import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileUploadSessionStore } from './file-upload-session-store';

const dir = mkdtempSync(join(tmpdir(), 'gantry-sessions-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const id = '0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

test('sessions survive a new store on the same directory; ids that are not UUIDs are unknown', async () => {
  const session = { id, name: 'team/app', backend: 'b', upstreamName: 'team/app', handle: '{}', offset: 10, createdAt: Date.now() };
  await new FileUploadSessionStore(dir).save(session);
  const reopened = new FileUploadSessionStore(dir);
  assert.deepEqual(await reopened.get(id), session);
  assert.equal(await reopened.get('../../etc/passwd'), undefined);
  await reopened.delete(id);
  assert.equal(await reopened.get(id), undefined);
});

test('abandoned sessions are swept when the store opens', () => {
  const stale = join(dir, '1b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b.json');
  writeFileSync(stale, '{}');
  const old = new Date(Date.now() - 25 * 3600 * 1000);
  utimesSync(stale, old, old);
  new FileUploadSessionStore(dir);
  assert.equal(existsSync(stale), false);
});
