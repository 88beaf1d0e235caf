import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEvent } from '#access';
import { DenialTeeSink } from './denial-tee-sink';
import { RecentDenials } from './recent-denials';

describe('RecentDenials and DenialTeeSink', () => {
  test('keeps denials only, newest first, bounded; passes every event on', () => {
    const recorded: AuditEvent[] = [];
    const denials = new RecentDenials(2, () => new Date('2026-11-27T12:00:00Z'));
    const sink = new DenialTeeSink({ record: (e) => recorded.push(e) }, denials);
    const events: AuditEvent[] = [
      { event: 'request', subject: 'user:bob', action: 'pull', repository: 'a', decision: 'deny', reason: 'no rule' },
      { event: 'request', subject: 'user:alice', action: 'pull', repository: 'a', decision: 'allow' },
      { event: 'login', subject: 'user:eve', decision: 'deny', reason: 'bad password', sourceAddress: '127.0.0.1' },
      { event: 'admission', subject: 'user:bob', action: 'pull', repository: 'prod/x', reference: 'v1', policy: 'signed', decision: 'deny', reason: 'unsigned' },
    ];
    for (const event of events) sink.record(event);
    assert.deepEqual(recorded, events);
    assert.deepEqual(denials.latest(), [
      { time: '2026-11-27T12:00:00.000Z', event: 'admission', subject: 'user:bob', action: 'pull', repository: 'prod/x', reference: 'v1', policy: 'signed', reason: 'unsigned' },
      { time: '2026-11-27T12:00:00.000Z', event: 'login', subject: 'user:eve', reason: 'bad password', sourceAddress: '127.0.0.1' },
    ]);
    assert.equal(denials.latest(1).length, 1);
  });
});
