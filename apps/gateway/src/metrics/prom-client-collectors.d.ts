/** prom-client's default collectors, one file each; its typings only declare collectDefaultMetrics(). */
declare module 'prom-client/lib/metrics/*' {
  import type { Registry } from 'prom-client';
  const collector: (registry: Registry, config: Record<string, unknown>) => void;
  export = collector;
}
