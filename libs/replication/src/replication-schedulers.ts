import type { ReplicationConfig } from '#config';
import type { ScanJobData } from './replication-job';
import type { ReplicationQueues } from './replication-queues';
import type { CompiledRule } from './rule-match';

/**
 * Makes the job schedulers on the scan queue match the rules: one per cron trigger, one per
 * `reconcile` rule (every `reconcileInterval`); schedulers of rules no longer configured go.
 * Idempotent (upsert), so every worker process may run it at start.
 */
export async function syncSchedulers(queues: ReplicationQueues, rules: readonly CompiledRule[], config: ReplicationConfig): Promise<string[]> {
  const queue = queues.scanQueue();
  const wanted = new Map<string, { repeat: { pattern: string } | { every: number }; data: ScanJobData }>();
  for (const rule of rules) {
    rule.cronPatterns().forEach((pattern, i) => wanted.set(`cron-${rule.name}-${i}`, { repeat: { pattern }, data: { rule: rule.name, trigger: 'cron' } }));
    if (rule.hasTrigger('reconcile')) wanted.set(`reconcile-${rule.name}`, { repeat: { every: config.reconcileInterval }, data: { rule: rule.name, trigger: 'reconcile' } });
  }
  for (const existing of await queue.getJobSchedulers()) {
    if (!wanted.has(existing.key)) await queue.removeJobScheduler(existing.key);
  }
  for (const [id, { repeat, data }] of wanted) {
    await queue.upsertJobScheduler(id, repeat, { name: data.trigger, data, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  }
  return [...wanted.keys()];
}
