import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatsRing, type TrafficTotals } from './stats-ring';

const totals = (requests: number, cacheLookups = 0, cacheHits = 0): TrafficTotals => ({ requests, cacheLookups, cacheHits });
const T0 = Date.parse('2026-11-27T12:00:00Z');

describe('StatsRing', () => {
  test('rates and hit ratios per bucket, the open bucket last', () => {
    const ring = new StatsRing(360);
    ring.record(T0, totals(100, 10, 5));
    ring.record(T0 + 10_000, totals(150, 20, 13));
    ring.record(T0 + 20_000, totals(150, 20, 13));
    assert.deepEqual(ring.history(T0 + 25_000, totals(160, 24, 14)), [
      { time: '2026-11-27T12:00:10.000Z', requestsPerSecond: 5, cacheHitRatio: 0.8 },
      { time: '2026-11-27T12:00:20.000Z', requestsPerSecond: 0, cacheHitRatio: null },
      { time: '2026-11-27T12:00:25.000Z', requestsPerSecond: 2, cacheHitRatio: 0.25 },
    ]);
  });

  test('keeps only the last `capacity` buckets', () => {
    const ring = new StatsRing(3);
    for (let i = 0; i <= 10; i++) ring.record(T0 + i * 10_000, totals(i * 10));
    const history = ring.history(T0 + 100_000, totals(100));
    assert.deepEqual(history.map((s) => s.time), ['2026-11-27T12:01:20.000Z', '2026-11-27T12:01:30.000Z', '2026-11-27T12:01:40.000Z']);
    assert.ok(history.every((s) => s.requestsPerSecond === 1));
  });

  test('nothing before the baseline; a counter that went back counts from zero', () => {
    const ring = new StatsRing(10);
    assert.deepEqual(ring.history(T0, totals(5)), []);
    ring.record(T0, totals(50));
    ring.record(T0 + 10_000, totals(20));
    assert.equal(ring.history(T0 + 10_000, totals(20))[0]!.requestsPerSecond, 0);
  });
});
