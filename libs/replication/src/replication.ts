import type { Logger } from 'pino';
import type { GantryConfig, ReplicationConfig } from '#config';
import type { RedisConfig } from '#cache';
import type { Registry } from '#registry';
import type { ImageCopier } from './copy-contract';
import { ReplicationJobs } from './replication-jobs';
import { ReplicationPlanner } from './replication-planner';
import { ReplicationQueues } from './replication-queues';
import { syncSchedulers } from './replication-schedulers';
import { ReplicationState } from './replication-state';
import { type ReplicationOutcome, ReplicationWorkers } from './replication-workers';
import { compileRules, type CompiledRule } from './rule-match';

/**
 * Replication as the gateway and the worker process see it: triggers (push, manual run), the
 * jobs, and the workers. Absent (undefined from `fromConfig`) when no rule is configured.
 */
export class Replication {
  readonly queues: ReplicationQueues;
  readonly state: ReplicationState;
  readonly planner: ReplicationPlanner;
  readonly jobs: ReplicationJobs;
  readonly rules: readonly CompiledRule[];
  private workers: ReplicationWorkers | undefined;

  private constructor(
    readonly config: ReplicationConfig,
    redis: RedisConfig,
    private readonly backends: ReadonlyMap<string, Registry>,
    private readonly logger: Logger,
  ) {
    this.rules = compileRules(config.rules);
    this.queues = new ReplicationQueues(redis, config);
    this.state = new ReplicationState(this.queues.connection, redis.keyPrefix);
    this.planner = new ReplicationPlanner(this.rules, backends, this.state);
    this.jobs = new ReplicationJobs(this.queues);
  }

  static fromConfig(config: GantryConfig, backends: ReadonlyMap<string, Registry>, logger: Logger): Replication | undefined {
    // The schema refuses rules without redis; no rules, nothing to run.
    if (!config.replication || config.replication.rules.length === 0 || !config.redis) return undefined;
    return new Replication(config.replication, config.redis, backends, logger);
  }

  /** A manifest was pushed through the gateway: enqueue its copies. Returns the job ids. */
  async manifestPushed(backend: string, repository: string, reference: string, digest: string): Promise<string[]> {
    const tag = reference.includes(':') ? undefined : reference;
    const jobs = this.planner.forPush(backend, repository, tag, digest);
    if (jobs.length === 0) return [];
    await Promise.all([...new Set(jobs.map((j) => j.rule))].map((rule) => this.state.recordSeen(rule, repository)));
    const ids = await this.queues.enqueue(jobs, (d) => this.state.copiedElsewhere(d));
    this.logger.info({ backend, repository, tag, digest, jobs: ids }, 'replication: push enqueued copies');
    return ids;
  }

  /** A manual run of a rule (every matching repository and tag), or of one repository under it. */
  async run(ruleName: string, repository?: string): Promise<string[] | undefined> {
    const rule = this.planner.rule(ruleName);
    if (!rule) return undefined;
    const jobs = await this.planner.scan(rule, { trigger: 'manual', ...(repository !== undefined ? { repository } : {}) });
    return this.queues.enqueue(jobs, (d) => this.state.copiedElsewhere(d));
  }

  /** A manual run of every rule that takes `repository` (a name as its source backend knows it): the rules and their jobs. */
  async runRepository(repository: string): Promise<{ rules: string[]; jobs: string[] }> {
    const rules = this.rules.filter((rule) => rule.matchesRepository(repository));
    const jobs: string[] = [];
    for (const rule of rules) {
      const planned = await this.planner.scan(rule, { trigger: 'manual', repository });
      jobs.push(...(await this.queues.enqueue(planned, (d) => this.state.copiedElsewhere(d))));
    }
    return { rules: rules.map((rule) => rule.name), jobs };
  }

  /** Runs the workers and the rules' schedulers in this process. */
  async startWorkers(copier: ImageCopier, onOutcome: (outcome: ReplicationOutcome) => void): Promise<void> {
    this.workers = new ReplicationWorkers({
      queues: this.queues,
      planner: this.planner,
      state: this.state,
      copier,
      backends: this.backends,
      config: this.config,
      logger: this.logger,
      onOutcome,
    });
    await this.workers.start();
    const schedulers = await syncSchedulers(this.queues, this.rules, this.config);
    if (schedulers.length > 0) this.logger.info({ schedulers }, 'replication schedulers set');
  }

  /** Whether this process's workers are started and running (false before startWorkers and after close). */
  workersRunning(): boolean {
    return this.workers?.allRunning() ?? false;
  }

  /** Workers get `graceMs` to finish running copies before they are handed back; then the queues close. */
  async close(graceMs: number): Promise<void> {
    await this.workers?.close(graceMs);
    await this.queues.close();
  }
}
