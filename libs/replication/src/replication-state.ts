import type { RedisClient } from '#cache';
import type { ReplicationJobData } from './replication-job';

/**
 * What replication remembers between runs, in Redis: the digest last copied for each
 * (rule, repository, tag, destination), which reconcile compares with the source, and the
 * source repositories each rule has seen (reconcile's list where the source has no catalog).
 */
export class ReplicationState {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async recordCopied(job: ReplicationJobData): Promise<void> {
    await this.recordSeen(job.rule, job.source.repository);
    if (job.tag === undefined) return;
    await this.redis.hset(this.lastKey(job.rule), lastField(job.source.repository, job.tag, job.destination), job.digest);
  }

  async lastCopied(rule: string, repository: string, tag: string, destination: ReplicationJobData['destination']): Promise<string | undefined> {
    return (await this.redis.hget(this.lastKey(rule), lastField(repository, tag, destination))) ?? undefined;
  }

  /** Whether the destination's tag was last set to another digest than `job`'s (so `job` must run again). */
  async copiedElsewhere(job: ReplicationJobData): Promise<boolean> {
    if (job.tag === undefined) return false;
    const last = await this.lastCopied(job.rule, job.source.repository, job.tag, job.destination);
    return last !== undefined && last !== job.digest;
  }

  async recordSeen(rule: string, repository: string): Promise<void> {
    await this.redis.sadd(this.seenKey(rule), repository);
  }

  async seenRepositories(rule: string): Promise<string[]> {
    return (await this.redis.smembers(this.seenKey(rule))).sort();
  }

  private lastKey(rule: string): string {
    return `${this.keyPrefix}replication:last:${rule}`;
  }

  private seenKey(rule: string): string {
    return `${this.keyPrefix}replication:seen:${rule}`;
  }
}

function lastField(repository: string, tag: string, destination: ReplicationJobData['destination']): string {
  return [repository, tag, destination.backend, destination.repository].join('\n');
}
