import type { GantryConfig } from '#config';
import { collectGarbage, type GcOptions, type GcProgress, type GcReport } from '#registry';

/** What a collection over every `type: local` backend tells its caller, as it happens. */
export type GcEvent =
  | ({ event: 'progress'; backend: string } & GcProgress)
  | ({ event: 'report'; backend: string; path: string } & GcReport)
  | { event: 'error'; backend: string; path: string; error: string };

export function localBackends(config: GantryConfig): { name: string; path: string }[] {
  return Object.entries(config.backends).flatMap(([name, backend]) => (backend.type === 'local' ? [{ name, path: backend.path }] : []));
}

/**
 * Garbage-collects every `type: local` backend of `config` in turn (`gantry gc`, `npm run gc`).
 * One backend failing does not stop the others. Returns false when any failed.
 */
export async function collectLocalBackends(config: GantryConfig, options: Omit<GcOptions, 'onProgress'>, onEvent: (event: GcEvent) => void): Promise<boolean> {
  let ok = true;
  for (const backend of localBackends(config)) {
    try {
      const report = await collectGarbage(backend.path, { ...options, onProgress: (progress) => onEvent({ event: 'progress', backend: backend.name, ...progress }) });
      onEvent({ event: 'report', backend: backend.name, path: backend.path, ...report });
    } catch (err) {
      ok = false;
      onEvent({ event: 'error', backend: backend.name, path: backend.path, error: (err as Error).message });
    }
  }
  return ok;
}
