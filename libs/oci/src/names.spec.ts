import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidName } from './names';
import { parseReference } from './reference';
import { OciError } from './errors';

test('repository names follow the distribution-spec grammar', () => {
  for (const ok of ['a', 'library/alpine', 'a.b_c__d-e--f/g', 'x'.repeat(255)]) assert.ok(isValidName(ok), ok);
  for (const bad of ['', 'Upper/case', '../etc', 'a//b', 'a/', '/a', 'a..b', 'a/./b', 'x'.repeat(256), 'a_/b', '%2e%2e']) {
    assert.ok(!isValidName(bad), bad);
  }
});

test('references are tags or verifiable digests', () => {
  assert.deepEqual(parseReference('v1.0'), { kind: 'tag', tag: 'v1.0' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(d), { kind: 'digest', digest: d });
  for (const bad of ['-x', 'a'.repeat(129), 'sha256:abc', `md5:${'a'.repeat(32)}`, `sha256:${'A'.repeat(64)}`]) {
    assert.throws(() => parseReference(bad), OciError, bad);
  }
});
