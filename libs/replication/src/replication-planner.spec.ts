import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplicationRuleConfig } from '#config';
import type { PageRequest } from '#oci';
import type { Registry } from '#registry';
import { ReplicationPlanner } from './replication-planner';
import type { ReplicationState } from './replication-state';
import { compileRules } from './rule-match';

/** A source as far as the planner reads it: repositories, tags and the digest each tag points at. */
function fakeSource(repos: Record<string, Record<string, string>>, withCatalog: boolean): Registry {
  const page = (items: string[], request: PageRequest) => {
    const sorted = [...items].sort().filter((i) => request.last === undefined || i > request.last);
    return { items: sorted.slice(0, request.n ?? sorted.length) };
  };
  const source = {
    listTags: async (repo: string, request: PageRequest) => page(Object.keys(repos[repo] ?? {}), request),
    statManifest: async (repo: string, tag: string) => ({ digest: repos[repo]![tag]! }),
    ...(withCatalog ? { listRepositories: async (request: PageRequest) => page(Object.keys(repos), request) } : {}),
  };
  return source as unknown as Registry;
}

/** Replication state in a map (the real one is Redis). */
function fakeState(last: Record<string, string> = {}, seen: Record<string, string[]> = {}): ReplicationState {
  return {
    lastCopied: async (rule: string, repo: string, tag: string, d: { backend: string; repository: string }) => last[[rule, repo, tag, d.backend, d.repository].join('|')],
    seenRepositories: async (rule: string) => seen[rule] ?? [],
  } as unknown as ReplicationState;
}

const REPOS = {
  'team/app': { v1: 'sha256:a1', v2: 'sha256:a2', latest: 'sha256:a2' },
  'team/lib': { v1: 'sha256:l1' },
  'other/x': { v1: 'sha256:x1' },
};

const rule = (over: Partial<ReplicationRuleConfig> = {}): ReplicationRuleConfig => ({
  name: 'r',
  source: { backend: 'a', repositories: ['team/**'], tags: { include: ['v*'], exclude: [] } },
  destinations: [{ backend: 'b', repository: 'mirror/{name}' }],
  triggers: ['on-push', 'reconcile'],
  ...over,
});

test('a push by tag: one job per destination of each on-push rule taking the repository and tag', () => {
  const planner = new ReplicationPlanner(compileRules([rule(), rule({ name: 'manual-only', triggers: ['manual'] })]), new Map(), fakeState());
  assert.deepEqual(planner.forPush('a', 'team/app', 'v1', 'sha256:a1'), [
    { rule: 'r', trigger: 'on-push', source: { backend: 'a', repository: 'team/app' }, digest: 'sha256:a1', tag: 'v1', destination: { backend: 'b', repository: 'mirror/team/app' } },
  ]);
  assert.deepEqual(planner.forPush('a', 'team/app', 'latest', 'sha256:a2'), [], 'tag filter');
  assert.deepEqual(planner.forPush('a', 'other/x', 'v1', 'sha256:x1'), [], 'repository glob');
  assert.deepEqual(planner.forPush('z', 'team/app', 'v1', 'sha256:a1'), [], 'another backend');
  assert.deepEqual(planner.forPush('a', 'team/app', undefined, 'sha256:a1'), [], 'a push by digest');
});

test('a scan lists the catalog, takes matching repositories and tags', async () => {
  const planner = new ReplicationPlanner(compileRules([rule()]), new Map([['a', fakeSource(REPOS, true)]]), fakeState());
  const jobs = await planner.scan(planner.rule('r')!, { trigger: 'cron' });
  assert.deepEqual(jobs.map((j) => `${j.source.repository}:${j.tag}@${j.digest}`), ['team/app:v1@sha256:a1', 'team/app:v2@sha256:a2', 'team/lib:v1@sha256:l1']);
  assert.ok(jobs.every((j) => j.trigger === 'cron'));
});

test('without a catalog, a scan reads the literal and the seen repositories', async () => {
  const planner = new ReplicationPlanner(
    compileRules([rule({ source: { backend: 'a', repositories: ['team/lib', 'team/*'], tags: { exclude: [] } } })]),
    new Map([['a', fakeSource(REPOS, false)]]),
    fakeState({}, { r: ['team/app'] }),
  );
  const jobs = await planner.scan(planner.rule('r')!, { trigger: 'reconcile' });
  assert.deepEqual([...new Set(jobs.map((j) => j.source.repository))], ['team/app', 'team/lib']);
});

test('reconcile enqueues only tags whose digest differs from the one last copied', async () => {
  const last = { 'r|team/app|v1|b|mirror/team/app': 'sha256:a1', 'r|team/app|v2|b|mirror/team/app': 'sha256:old' };
  const planner = new ReplicationPlanner(compileRules([rule()]), new Map([['a', fakeSource(REPOS, true)]]), fakeState(last));
  const jobs = await planner.scan(planner.rule('r')!, { trigger: 'reconcile', onlyChanged: true });
  assert.deepEqual(jobs.map((j) => `${j.source.repository}:${j.tag}`), ['team/app:v2', 'team/lib:v1']);
});

test('a manual run for one repository reads only it', async () => {
  const planner = new ReplicationPlanner(compileRules([rule()]), new Map([['a', fakeSource(REPOS, true)]]), fakeState());
  const jobs = await planner.scan(planner.rule('r')!, { trigger: 'manual', repository: 'team/lib' });
  assert.deepEqual(jobs.map((j) => `${j.source.repository}:${j.tag}`), ['team/lib:v1']);
});
