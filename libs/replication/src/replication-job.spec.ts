import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyQueueName, replicationJobId, type ReplicationJobData } from './replication-job';

const job: ReplicationJobData = {
  rule: 'r',
  trigger: 'on-push',
  source: { backend: 'a', repository: 'team/app' },
  digest: `sha256:${'1'.repeat(64)}`,
  tag: 'v1',
  destination: { backend: 'b', repository: 'team/app' },
};

test('the same image to the same place is one job, whatever triggered it', () => {
  const again: ReplicationJobData = { ...job, trigger: 'cron', rule: 'other' };
  assert.equal(replicationJobId(job), replicationJobId(again));
  assert.match(replicationJobId(job), /^copy-[0-9a-f]{40}$/);
});

test('another digest, tag or destination is another job', () => {
  const id = replicationJobId(job);
  assert.notEqual(replicationJobId({ ...job, digest: `sha256:${'2'.repeat(64)}` }), id);
  assert.notEqual(replicationJobId({ ...job, tag: 'v2' }), id);
  const { tag: _tag, ...byDigest } = job;
  assert.notEqual(replicationJobId(byDigest), id);
  assert.notEqual(replicationJobId({ ...job, destination: { backend: 'c', repository: 'team/app' } }), id);
  assert.notEqual(replicationJobId({ ...job, destination: { backend: 'b', repository: 'mirror/team/app' } }), id);
});

test('queue names never hold a colon (BullMQ keys)', () => {
  assert.equal(copyQueueName('gar-eu'), 'copy-gar-eu');
});
