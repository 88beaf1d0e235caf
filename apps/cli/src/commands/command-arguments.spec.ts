import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { CliError } from '../cli-error';
import { splitReference } from './explain.command';
import { jobIdsOf } from './replicate.command';
import { collectScope } from './robot.command';

describe('gantry command arguments', () => {
  test('explain: repo, repo:tag, repo@digest, and a host port that is not a tag', () => {
    assert.deepEqual(splitReference('team/app'), { repository: 'team/app' });
    assert.deepEqual(splitReference('team/app:1.4'), { repository: 'team/app', reference: '1.4' });
    assert.deepEqual(splitReference(`team/app@sha256:${'a'.repeat(64)}`), { repository: 'team/app', reference: `sha256:${'a'.repeat(64)}` });
    assert.deepEqual(splitReference('host:5000/app'), { repository: 'host:5000/app' });
  });

  test('robot --scope: globs and actions, repeatable; a scope without actions is refused', () => {
    const one = collectScope('team/**,ci/*:pull,push', undefined);
    const two = collectScope('tools/*:pull', one);
    assert.deepEqual(two, [
      { repositories: ['team/**', 'ci/*'], actions: ['pull', 'push'] },
      { repositories: ['tools/*'], actions: ['pull'] },
    ]);
    for (const bad of ['team/**', ':pull', 'team/**:', '']) assert.throws(() => collectScope(bad, []), InvalidArgumentError, bad);
  });

  test('replicate: the job ids of the run answer, in the spellings accepted', () => {
    assert.deepEqual(jobIdsOf({ rule: 'r', jobs: ['copy-1', 'copy-2'] }), ['copy-1', 'copy-2']);
    assert.deepEqual(jobIdsOf({ jobs: [{ id: 1 }, { id: 'b' }] }), ['1', 'b']);
    assert.deepEqual(jobIdsOf({ jobs: [] }), []);
    assert.throws(() => jobIdsOf({ queued: true }), CliError);
    assert.throws(() => jobIdsOf(undefined), CliError);
  });
});
