import type { Registry } from 'prom-client';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal';
import processHandles from 'prom-client/lib/metrics/processHandles';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors';
import processRequests from 'prom-client/lib/metrics/processRequests';
import processResources from 'prom-client/lib/metrics/processResources';
import processStartTime from 'prom-client/lib/metrics/processStartTime';
import version from 'prom-client/lib/metrics/version';

/**
 * prom-client's default collectors (process_* and nodejs_*), except `gc`: its PerformanceObserver
 * gets an entry for every scavenge, and with the gateway's 1 MiB semi-space those come every
 * few hundred microseconds under load (an allocation-heavy loop ran 10-16% slower with one
 * observing, ~2,000 scavenges a second). The rest is read at scrape time, or sampled by the
 * event-loop-delay monitor.
 */
const COLLECTORS = [
  processCpuTotal, processStartTime, osMemoryHeap, processOpenFileDescriptors, processMaxFileDescriptors, eventLoopLag,
  processResources, processHandles, processRequests, heapSizeAndUsed, heapSpacesSizeAndUsed, version,
];

export function collectProcessMetrics(registry: Registry): void {
  for (const collect of COLLECTORS) collect(registry, { eventLoopMonitoringPrecision: 10 });
}
