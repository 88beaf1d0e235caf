import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CountableQueues, QueueJobCounts } from './queue-job-counts';

/** Plain fake queues: how often they were asked, and what they answer. */
function fakeQueues(answer: () => Promise<Record<string, number>>): CountableQueues & { reads: number } {
  const fake = {
    reads: 0,
    destinations: () => ['b', 'c'],
    copyQueue: () => ({
      getJobCounts: () => {
        fake.reads++;
        return answer();
      },
    }),
  };
  return fake;
}

describe('QueueJobCounts', () => {
  test('one read per window, however many scrapes; counts by destination', async () => {
    let now = 0;
    const queues = fakeQueues(async () => ({ waiting: 2, completed: 5 }));
    const counts = new QueueJobCounts(queues, { maxAgeMs: 5000, timeoutMs: 1000, now: () => now });
    const first = await Promise.all([counts.read(), counts.read(), counts.read()]);
    assert.equal(queues.reads, 2, 'one getJobCounts per destination');
    assert.deepEqual([...first[0]!], [['b', { waiting: 2, completed: 5 }], ['c', { waiting: 2, completed: 5 }]]);
    now = 4999;
    await counts.read();
    assert.equal(queues.reads, 2);
    now = 5000;
    await counts.read();
    assert.equal(queues.reads, 4);
  });

  test('an error or no answer in time reads as undefined, and is reused for the window too', async () => {
    let now = 0;
    const failing = fakeQueues(async () => Promise.reject(new Error('connection refused')));
    const counts = new QueueJobCounts(failing, { maxAgeMs: 5000, timeoutMs: 1000, now: () => now });
    assert.equal(await counts.read(), undefined);
    assert.equal(await counts.read(), undefined);
    assert.equal(failing.reads, 2);

    const silent = fakeQueues(() => new Promise(() => undefined));
    const waiting = new QueueJobCounts(silent, { maxAgeMs: 5000, timeoutMs: 20, now: () => now });
    assert.equal(await waiting.read(), undefined);
    now = 1000;
    assert.equal(await waiting.read(), undefined);
    assert.equal(silent.reads, 2, 'no second round while the window lasts');
  });
});
