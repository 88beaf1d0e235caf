import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SECTIONS, selectedSections } from './sections';

describe('BENCH_SECTIONS', () => {
  test('absent or empty: every section', () => {
    assert.deepEqual([...selectedSections(undefined)], Object.keys(SECTIONS));
    assert.deepEqual([...selectedSections(' ')], Object.keys(SECTIONS));
  });

  test('a list picks those sections, spaces allowed', () => {
    assert.deepEqual([...selectedSections('f')], ['f']);
    assert.deepEqual([...selectedSections(' a, blob ,e')], ['a', 'blob', 'e']);
  });

  test('an unknown name is refused, named, with the known ones', () => {
    assert.throws(() => selectedSections('f,h'), /unknown section h; known: a, b, c, d, blob, e, f, g/);
  });
});
