import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTagFilter } from './tag-filter';

const TAGS = ['latest', 'v1.0.0', '1.2.3', '1.2.4-rc.1', '2.0.0', 'release-7', 'release-7-debug', 'sha-abc', 'main'];

function pick(filter: Parameters<typeof compileTagFilter>[0]): string[] {
  const matches = compileTagFilter(filter);
  return TAGS.filter((t) => matches(t));
}

test('no filter copies every tag', () => {
  assert.deepEqual(pick({ exclude: [] }), TAGS);
});

test('include globs', () => {
  assert.deepEqual(pick({ include: ['release-*', 'main'], exclude: [] }), ['release-7', 'release-7-debug', 'main']);
});

test('regex matches the whole tag', () => {
  assert.deepEqual(pick({ regex: 'release-\\d+', exclude: [] }), ['release-7']);
  assert.deepEqual(pick({ regex: 'sha', exclude: [] }), []);
});

test('semver range: versions only, prereleases excluded unless asked for', () => {
  assert.deepEqual(pick({ semver: '>=1.0.0 <2', exclude: [] }), ['v1.0.0', '1.2.3']);
  assert.deepEqual(pick({ semver: '>=2', exclude: [] }), ['2.0.0']);
});

test('exclude wins over every other filter', () => {
  assert.deepEqual(pick({ include: ['release-*'], exclude: ['*-debug'] }), ['release-7']);
  assert.deepEqual(pick({ semver: '*', exclude: ['2.*'] }), ['v1.0.0', '1.2.3']);
});

test('all filters must pass', () => {
  assert.deepEqual(pick({ include: ['v*'], semver: '^1', exclude: [] }), ['v1.0.0']);
});
