import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessRules } from './access-rules';
import { grantScopes } from './scope-grant';
import { parseScopes } from './scope';
import { ANONYMOUS, type Subject } from './subject';

const alice: Subject = { kind: 'user', name: 'alice', groups: ['dev'] };
const ci: Subject = { kind: 'robot', name: 'ci', groups: [], grants: [{ repositories: ['ci/**'], actions: ['pull', 'push'] }] };
const action: Subject = { kind: 'oidc', name: 'github:repo:acme/app', groups: [], claims: { repository_owner: 'acme' } };

const rules = new AccessRules([
  { name: 'dev', effect: 'allow', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull', 'push'] },
  { effect: 'deny', subjects: ['*'], repositories: ['team/secret/**', 'ci/frozen'], actions: ['push'] },
  { name: 'acme', effect: 'allow', subjects: ['claim:repository_owner=acme'], repositories: ['acme/*'], actions: ['pull'] },
  { name: 'anon', effect: 'allow', subjects: ['anonymous'], repositories: ['public/**'], actions: ['pull'] },
  { name: 'ops', effect: 'allow', subjects: ['user:alice'], repositories: ['ignored/**'], actions: ['admin'] },
]);

test('deny beats allow, and an unnamed rule is named by its index', () => {
  assert.equal(rules.decide(alice, 'push', 'team/app').allowed, true);
  const verdict = rules.decide(alice, 'push', 'team/secret/x');
  assert.equal(verdict.allowed, false);
  assert.equal(verdict.rule, 'rules[1]');
  assert.deepEqual(verdict.applied.map((r) => r.name), ['dev', 'rules[1]']);
});

test('what nothing allows is denied, without a rule', () => {
  const verdict = rules.decide(alice, 'delete', 'team/app');
  assert.deepEqual({ allowed: verdict.allowed, rule: verdict.rule }, { allowed: false, rule: undefined });
});

test('globs: * stays in one segment, ** crosses them', () => {
  assert.equal(rules.decide(action, 'pull', 'acme/app').allowed, true);
  assert.equal(rules.decide(action, 'pull', 'acme/app/sub').allowed, false);
  assert.equal(rules.decide(ANONYMOUS, 'pull', 'public/a/b/c').allowed, true);
  assert.equal(rules.decide(alice, 'pull', 'public/a').allowed, false, 'anonymous is not every subject');
});

test('a robot\'s grants allow for it alone, and deny rules still apply to it', () => {
  assert.equal(rules.decide(ci, 'push', 'ci/app').allowed, true);
  assert.equal(rules.decide(ci, 'push', 'ci/frozen').allowed, false);
  assert.equal(rules.decide({ ...ci, name: 'other' }, 'push', 'ci/app').allowed, false);
});

test('admin and catalog ignore a rule\'s repositories', () => {
  assert.equal(rules.decide(alice, 'admin').allowed, true);
  assert.equal(rules.decide(ANONYMOUS, 'admin').allowed, false);
});

test('a token request is trimmed to what the rules allow; junk scopes are dropped', () => {
  const requested = parseScopes(['repository:team/app:pull,push,delete', 'repository:team/secret/x:push', 'repository:Bad Name:pull', 'nonsense', 'repository:team/app:*', 'registry:catalog:*']);
  assert.deepEqual(requested.map((e) => `${e.type}:${e.name}:${e.actions.join(',')}`), [
    'repository:team/app:pull,push,delete',
    'repository:team/secret/x:push',
    'registry:catalog:*',
  ]);
  assert.deepEqual(grantScopes(rules, alice, requested), [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
});
