/**
 * Preloaded into a process (`--require`, through NODE_OPTIONS) to record every module it loads,
 * CommonJS and ESM alike; the list is written to $MODULE_TRACE_FILE (no GANTRY_ prefix: those are config keys) when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const traceFile = process.env.MODULE_TRACE_FILE;
if (traceFile) {
  const loaded = new Set<string>();
  registerHooks({
    load(url, context, nextLoad) {
      loaded.add(url);
      return nextLoad(url, context);
    },
  });
  process.on('exit', () => writeFileSync(traceFile, [...loaded].join('\n')));
}
