import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CopyProgress } from '../copy-contract';
import { ProgressMeter } from './progress-meter';

describe('ProgressMeter', () => {
  test('reports the plan at once, then at most every 250 ms, and always the final state', () => {
    let clock = 1_000;
    const reports: CopyProgress[] = [];
    const meter = new ProgressMeter((p) => reports.push(p), () => clock);
    meter.plan(2, 300, 1);
    for (let i = 0; i < 100; i++) meter.bytes(1);
    assert.equal(reports.length, 1, 'a burst within 250 ms after the plan reports nothing more');
    clock += 250;
    meter.bytes(100);
    assert.equal(reports.length, 2);
    assert.equal(reports[1]!.bytesDone, 200);
    meter.blobDone();
    meter.manifestDone();
    meter.finish();
    assert.deepEqual(reports.at(-1), { blobsDone: 1, blobsTotal: 2, bytesDone: 200, bytesTotal: 300, manifestsDone: 1, manifestsTotal: 1 });
  });

  test('reports are copies: a caller keeping one does not see it change', () => {
    const reports: CopyProgress[] = [];
    const meter = new ProgressMeter((p) => reports.push(p), () => 0);
    meter.plan(1, 10, 1);
    meter.bytes(10);
    meter.finish();
    assert.equal(reports[0]!.bytesDone, 0);
    assert.equal(reports.at(-1)!.bytesDone, 10);
  });
});
