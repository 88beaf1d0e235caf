import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runLimited } from './run-limited';

describe('runLimited', () => {
  test('never has more than `limit` in flight and runs every item', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await runLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      done.push(n);
    });
    assert.equal(most, 3);
    assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
  });

  test('the first failure starts nothing new, waits for the running ones, and is thrown', async () => {
    const started: number[] = [];
    let finishedAfterFailure = false;
    await assert.rejects(runLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('one failed');
      await new Promise((resolve) => setImmediate(resolve));
      if (n === 2) finishedAfterFailure = true;
    }), /one failed/);
    assert.deepEqual(started, [1, 2]);
    assert.ok(finishedAfterFailure, 'the item in flight was waited for');
  });

  test('an empty list does nothing', async () => {
    await runLimited([], 4, async () => assert.fail('no work'));
  });
});
