import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXTERNAL_STEP_BYTES, GarbagePace, startGarbagePacer } from './garbage-pacer';

const MIB = 1024 * 1024;

test('a collection is due once external memory grew a step above its low point, not before', () => {
  const pace = new GarbagePace();
  assert.equal(pace.due(20 * MIB), false);
  assert.equal(pace.due(10 * MIB), false); // a new low
  assert.equal(pace.due(10 * MIB + EXTERNAL_STEP_BYTES), false);
  assert.equal(pace.due(10 * MIB + EXTERNAL_STEP_BYTES + 1), true);
});

test('the reading after a collection is the new low point', () => {
  const pace = new GarbagePace();
  pace.due(0);
  assert.equal(pace.due(EXTERNAL_STEP_BYTES + 1), true);
  // The sweep has not freed everything yet: the next step counts from here.
  assert.equal(pace.due(6 * MIB), false);
  assert.equal(pace.due(6 * MIB + EXTERNAL_STEP_BYTES), false);
  assert.equal(pace.due(6 * MIB + EXTERNAL_STEP_BYTES + 1), true);
});

test('the pacer runs minor collections while buffers are allocated and dropped', async () => {
  let minors = 0;
  const stop = startGarbagePacer((options) => {
    assert.deepEqual(options, { type: 'minor' });
    minors++;
  });
  try {
    // Garbage buffers that only a collection frees (the fake collector frees nothing), until a
    // tick has seen them: what a stream's socket reads look like to the pacer.
    const held: Buffer[] = [];
    while (minors === 0) {
      held.push(Buffer.alloc(MIB));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.ok(held.length * MIB > EXTERNAL_STEP_BYTES);
  } finally {
    stop();
  }
});

test('the real collector is V8 gc, kept out of the global scope', () => {
  const stop = startGarbagePacer();
  stop();
  assert.equal((globalThis as { gc?: unknown }).gc, undefined);
});
