/**
 * Preloaded into a process (`--require`, through NODE_OPTIONS) to count its full (mark-compact)
 * collections; the count is rewritten to $GC_COUNT_FILE after each one. Test instrumentation
 * only: the gateway itself does not observe collections (see process-metrics.ts).
 */
import { writeFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';

const countFile = process.env.GC_COUNT_FILE;
if (countFile) {
  let majors = 0;
  writeFileSync(countFile, '0');
  new PerformanceObserver((list) => {
    const before = majors;
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
    if (majors !== before) writeFileSync(countFile, String(majors));
  }).observe({ entryTypes: ['gc'] });
}
