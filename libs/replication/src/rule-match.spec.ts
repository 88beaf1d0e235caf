import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledRule, rewriteName } from './rule-match';

const rule = new CompiledRule({
  name: 'r',
  source: { backend: 'a', repositories: ['payments/**', 'tools/cli'], tags: { include: ['v*'], exclude: [] } },
  destinations: [{ backend: 'b', repository: '{name}' }, { backend: 'c', repository: 'mirror/{name}' }],
  triggers: ['on-push', { cron: '*/5 * * * *' }],
});

test('repository globs', () => {
  assert.equal(rule.matchesRepository('payments/api'), true);
  assert.equal(rule.matchesRepository('payments/team/api'), true);
  assert.equal(rule.matchesRepository('tools/cli'), true);
  assert.equal(rule.matchesRepository('tools/other'), false);
  assert.deepEqual(rule.literalRepositories(), ['tools/cli']);
});

test('destinations rewrite {name}', () => {
  assert.deepEqual(rule.destinationsFor('payments/api'), [
    { backend: 'b', repository: 'payments/api' },
    { backend: 'c', repository: 'mirror/payments/api' },
  ]);
  assert.equal(rewriteName('x/{name}/{name}', 'n'), 'x/n/n');
});

test('triggers', () => {
  assert.equal(rule.hasTrigger('on-push'), true);
  assert.equal(rule.hasTrigger('reconcile'), false);
  assert.deepEqual(rule.cronPatterns(), ['*/5 * * * *']);
  assert.equal(rule.tagMatches('v1'), true);
  assert.equal(rule.tagMatches('latest'), false);
});
