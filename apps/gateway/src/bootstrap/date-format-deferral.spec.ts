import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deferDateFormats, type DateFormats } from './date-format-deferral';

/** A real DateTimeFormat that counts how many were built. */
function countingFormats(): DateFormats & { built: number } {
  const formats = { built: 0 } as DateFormats & { built: number };
  formats.DateTimeFormat = class extends Intl.DateTimeFormat {
    constructor(...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      super(...args);
      formats.built++;
    }
  } as typeof Intl.DateTimeFormat;
  return formats;
}

const OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: 'numeric', minute: 'numeric', timeZone: 'UTC' };
const WHEN = Date.UTC(2026, 10, 28, 6, 30);

test('a deferred date format builds nothing until it is used, then formats as the real one does', () => {
  const formats = countingFormats();
  const real = formats.DateTimeFormat;
  const restore = deferDateFormats(formats);
  const deferred = new formats.DateTimeFormat('en-US', OPTIONS);
  const called = formats.DateTimeFormat('en-US', OPTIONS); // Intl constructors work without `new` too
  assert.equal(formats.built, 0);
  assert.ok(deferred instanceof real);

  const expected = new Intl.DateTimeFormat('en-US', OPTIONS);
  assert.equal(deferred.format(WHEN), expected.format(WHEN));
  assert.equal(formats.built, 1);
  assert.deepEqual(deferred.formatToParts(WHEN), expected.formatToParts(WHEN));
  assert.equal(deferred.formatRange(WHEN, WHEN + 3_600_000), expected.formatRange(WHEN, WHEN + 3_600_000));
  assert.deepEqual(deferred.resolvedOptions(), expected.resolvedOptions());
  assert.equal(formats.built, 1, 'built once, on first use');
  assert.equal(called.format(WHEN), expected.format(WHEN));
  assert.equal(formats.built, 2);
  restore();
});

test('restoring puts the real constructor back, and later formats are real ones', () => {
  const formats = countingFormats();
  const real = formats.DateTimeFormat;
  const restore = deferDateFormats(formats);
  assert.notEqual(formats.DateTimeFormat, real);
  assert.deepEqual(formats.DateTimeFormat.supportedLocalesOf(['en-US']), ['en-US']);
  restore();
  assert.equal(formats.DateTimeFormat, real);
  new formats.DateTimeFormat('en-US', OPTIONS);
  assert.equal(formats.built, 1);
});

test('bad options fail on first use instead of in the constructor', () => {
  const formats = countingFormats();
  const restore = deferDateFormats(formats);
  const deferred = new formats.DateTimeFormat('en-US', { timeZone: 'Not/AZone' });
  assert.throws(() => deferred.format(WHEN), RangeError);
  restore();
});
