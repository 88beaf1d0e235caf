import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { collector, compactHeap, EXTERNAL_STEP_BYTES, GarbagePace, HEAP_STEP_BYTES, PROMOTED_STEP_BYTES, startGarbagePacer } from './garbage-pacer';

const MIB = 1024 * 1024;

test('a collection is due once a reading grew a step above its low point, not before', () => {
  const pace = new GarbagePace(EXTERNAL_STEP_BYTES);
  assert.equal(pace.due(20 * MIB), false);
  assert.equal(pace.due(10 * MIB), false); // a new low
  assert.equal(pace.due(10 * MIB + EXTERNAL_STEP_BYTES), false);
  assert.equal(pace.due(10 * MIB + EXTERNAL_STEP_BYTES + 1), true);
});

test('the reading after a collection is the new low point', () => {
  const pace = new GarbagePace(EXTERNAL_STEP_BYTES);
  pace.due(0);
  assert.equal(pace.due(EXTERNAL_STEP_BYTES + 1), true);
  // The sweep has not freed everything yet: the next step counts from here.
  assert.equal(pace.due(6 * MIB), false);
  assert.equal(pace.due(6 * MIB + EXTERNAL_STEP_BYTES), false);
  assert.equal(pace.due(6 * MIB + EXTERNAL_STEP_BYTES + 1), true);
});

test('the pacer runs minor collections while buffers are allocated and dropped', async () => {
  const collections: string[] = [];
  const stop = startGarbagePacer((options) => collections.push(options.type));
  try {
    // Garbage buffers that only a collection frees (the fake collector frees nothing), until a
    // tick has seen them: what a stream's socket reads look like to the pacer.
    const held: Buffer[] = [];
    while (!collections.includes('minor')) {
      held.push(Buffer.alloc(MIB));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.ok(held.length * MIB > EXTERNAL_STEP_BYTES);
    assert.deepEqual(collections, ['minor']);
  } finally {
    stop();
  }
});

test('the pacer runs a full collection once what minor collections leave of external memory grew a step', async () => {
  const collections: string[] = [];
  const stop = startGarbagePacer((options) => collections.push(options.type));
  try {
    // Buffers no minor collection frees (the fake collector frees nothing): what reads promoted
    // to the old generation look like to the pacer.
    const before = process.memoryUsage().external;
    const held: Buffer[] = [];
    while (!collections.includes('major') && held.length < 128) {
      held.push(Buffer.alloc(MIB));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.ok(collections.includes('major'), `no full collection while ${held.length} MiB were held`);
    const grown = process.memoryUsage().external - before;
    assert.ok(grown > PROMOTED_STEP_BYTES + EXTERNAL_STEP_BYTES, `due after ${grown / MIB} MiB`);
    assert.ok(collections.filter((type) => type === 'minor').length >= 2, collections.join(' '));
    assert.equal(collections.at(-1), 'major');
  } finally {
    stop();
  }
});

test('the pacer runs a full collection once the used heap grew a step', async () => {
  const collections: string[] = [];
  const stop = startGarbagePacer((options) => collections.push(options.type));
  try {
    // Objects on the heap, held until a tick has seen them: what a parsed manifest leaves behind.
    const before = getHeapStatistics().used_heap_size;
    const held: object[][] = [];
    while (!collections.includes('major')) {
      held.push(Array.from({ length: 10_000 }, (_, i) => ({ i })));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const grown = getHeapStatistics().used_heap_size - before;
    assert.ok(grown > HEAP_STEP_BYTES / 2, `due after ${grown} bytes (${held.length} batches held)`);
    assert.ok(!collections.includes('minor'), 'heap objects are no reason for a minor collection');
  } finally {
    stop();
  }
});

test('compacting the heap returns the pages regular full collections keep', () => {
  // What start-up leaves: pages half full of live objects, the rest dead.
  const kept = Array.from({ length: 4000 }, (_, i) => Array.from({ length: 200 }, (_, j) => ({ i, j, name: `x${j}` }))).filter((_, i) => i % 2 === 0);
  for (let i = 0; i < 3; i++) collector()({ type: 'major' });
  const afterRegular = getHeapStatistics().total_heap_size;
  compactHeap();
  const afterCompaction = getHeapStatistics().total_heap_size;
  assert.equal(kept.length, 2000);
  assert.ok(afterCompaction < afterRegular - 16 * MIB, `heap ${afterRegular / MIB} MiB after regular collections, ${afterCompaction / MIB} after compaction`);
});

test('the real collector is V8 gc, kept out of the global scope', () => {
  const stop = startGarbagePacer();
  stop();
  assert.equal((globalThis as { gc?: unknown }).gc, undefined);
});
