import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { createLogger } from '../bootstrap/logger';
import { lazyRequestLogger } from './lazy-request-logger';

/** The gateway's logger into an array, counting the children made of it. */
function capture() {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof logger.child;
  return { parent: logger as unknown as FastifyBaseLogger, lines, children: () => children };
}

test('a request that never logs costs no child logger', () => {
  const { parent, children } = capture();
  const log = lazyRequestLogger(parent, { reqId: 'r-1' }, {});
  assert.equal(log.level, 'info');
  for (const method of ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'] as const) assert.equal(typeof log[method], 'function');
  assert.equal(children(), 0);
});

test('the first line makes the child once: bound to the request, redacted like every line', () => {
  const { parent, lines, children } = capture();
  const log = lazyRequestLogger(parent, { reqId: 'r-2' }, {});
  log.warn({ authorization: 'Bearer secret-token-1' }, 'blob transfer failed');
  log.info('plain message %s', 'formatted');
  log.debug('below the level');
  assert.equal(children(), 1);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(records.length, 2);
  assert.deepEqual(
    records.map((r) => [r.reqId, r.msg, r.authorization]),
    [
      ['r-2', 'blob transfer failed', '[redacted]'],
      ['r-2', 'plain message formatted', undefined],
    ],
  );
  assert.ok(!lines.join('').includes('secret-token-1'));
});

test('a level given for the route is the request logger\'s', () => {
  const { parent, lines } = capture();
  const log = lazyRequestLogger(parent, { reqId: 'r-3' }, { level: 'debug' });
  assert.equal(log.level, 'debug');
  log.debug('route debug line');
  assert.equal(lines.length, 1);
});
