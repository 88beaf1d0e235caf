import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEvent } from '#access';
import { CountingAuditSink } from './counting-audit-sink';
import { GantryMetrics } from './gantry-metrics';

describe('CountingAuditSink', () => {
  test('counts access decisions and finished copies, and passes every event on', async () => {
    const recorded: AuditEvent[] = [];
    const metrics = new GantryMetrics({ defaultMetrics: false });
    const sink = new CountingAuditSink({ record: (e) => recorded.push(e) }, metrics);
    const events: AuditEvent[] = [
      { event: 'request', subject: 'user:alice', decision: 'allow' },
      { event: 'request', subject: 'user:bob', decision: 'deny' },
      { event: 'login', subject: 'user:bob', decision: 'deny' },
      { event: 'replication', subject: 'rule:to-gar', rule: 'to-gar', decision: 'completed' },
      { event: 'replication', subject: 'rule:to-gar', rule: 'to-gar', decision: 'failed' },
      { event: 'replication', subject: 'user:admin', action: 'replication.run', decision: 'allow' },
    ];
    for (const event of events) sink.record(event);
    assert.deepEqual(recorded, events);
    const body = (await metrics.render()).body;
    const lines = body.split('\n').filter((l) => l.startsWith('gantry_auth_decisions_total') || l.startsWith('gantry_replication_jobs_total'));
    assert.deepEqual(lines, [
      'gantry_auth_decisions_total{event="request",result="allow"} 1',
      'gantry_auth_decisions_total{event="request",result="deny"} 1',
      'gantry_auth_decisions_total{event="login",result="deny"} 1',
      'gantry_auth_decisions_total{event="replication",result="allow"} 1',
      'gantry_replication_jobs_total{rule="to-gar",state="completed"} 1',
      'gantry_replication_jobs_total{rule="to-gar",state="failed"} 1',
    ]);
  });
});
