import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OciError } from './errors';
import { parseLookupReference, parseReference } from './reference';

const cannotExist = ['.INVALID_MANIFEST_NAME', '-bad', 't'.repeat(129), 'sha256:totallywrong', `md5:${'0'.repeat(32)}`, `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(65)}`];

test('to read or delete, a reference that cannot exist is MANIFEST_UNKNOWN (404)', () => {
  for (const value of cannotExist) {
    assert.throws(() => parseLookupReference(value), (err: unknown) => err instanceof OciError && err.code === 'MANIFEST_UNKNOWN' && err.status === 404, value);
  }
  assert.deepEqual(parseLookupReference('v1'), { kind: 'tag', tag: 'v1' });
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseLookupReference(digest), { kind: 'digest', digest });
});

test('to push, a bad tag is TAG_INVALID and a bad digest DIGEST_INVALID (400)', () => {
  for (const tag of ['.INVALID_MANIFEST_NAME', '-bad', 't'.repeat(129)]) {
    assert.throws(() => parseReference(tag), (err: unknown) => err instanceof OciError && err.code === 'TAG_INVALID' && err.status === 400, tag);
  }
  for (const digest of ['sha256:totallywrong', `md5:${'0'.repeat(32)}`]) {
    assert.throws(() => parseReference(digest), (err: unknown) => err instanceof OciError && err.code === 'DIGEST_INVALID' && err.status === 400, digest);
  }
});
