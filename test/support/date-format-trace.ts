/**
 * Preloaded into a process (`--require`, through NODE_OPTIONS) to record where each real
 * Intl.DateTimeFormat is built (the first one loads ICU's data); the stacks are written to
 * $DATE_FORMAT_TRACE_FILE when the process exits, one block per formatter.
 */
import { writeFileSync } from 'node:fs';

const traceFile = process.env.DATE_FORMAT_TRACE_FILE;
if (traceFile) {
  const built: string[] = [];
  const record = (): void => {
    built.push(new Error('built here').stack ?? '');
  };
  Intl.DateTimeFormat = new Proxy(Intl.DateTimeFormat, {
    construct(target, args: unknown[], newTarget: (...a: unknown[]) => unknown) {
      record();
      return Reflect.construct(target, args, newTarget) as object;
    },
    apply(target, self, args: unknown[]) {
      record();
      return Reflect.apply(target, self, args) as unknown;
    },
  });
  process.on('exit', () => writeFileSync(traceFile, built.join('\n\n')));
}
