import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { FastCounter, FastHistogram, methodLabel, statusClass } from './labelled';

describe('FastCounter and FastHistogram', () => {
  test('render as prom-client would: labels in order, counters summed per combination', async () => {
    const registry = new Registry();
    const counter = new FastCounter(registry, 'x_total', 'Help.', ['route', 'status_class']);
    counter.inc(['blob', '2xx']);
    counter.inc(['blob', '2xx'], 4);
    counter.inc(['manifest', '5xx']);
    assert.equal(await registry.metrics(), [
      '# HELP x_total Help.', '# TYPE x_total counter', 'x_total{route="blob",status_class="2xx"} 5', 'x_total{route="manifest",status_class="5xx"} 1', '',
    ].join('\n'));
  });

  test('histogram buckets are cumulative, with +Inf, _sum and _count', async () => {
    const registry = new Registry();
    const histogram = new FastHistogram(registry, 'd_seconds', 'Help.', ['route'], [0.1, 1]);
    for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe(['blob'], value);
    assert.equal(await registry.metrics(), [
      '# HELP d_seconds Help.', '# TYPE d_seconds histogram',
      'd_seconds_bucket{route="blob",le="0.1"} 2', 'd_seconds_bucket{route="blob",le="1"} 3', 'd_seconds_bucket{route="blob",le="+Inf"} 4',
      'd_seconds_sum{route="blob"} 3.65', 'd_seconds_count{route="blob"} 4', '',
    ].join('\n'));
  });

  test('label helpers keep the vocabulary closed', () => {
    assert.equal(statusClass(204), '2xx');
    assert.equal(statusClass(599), '5xx');
    assert.equal(statusClass(42), 'other');
    assert.equal(methodLabel('PATCH'), 'PATCH');
    assert.equal(methodLabel('BREW'), 'other');
  });
});
