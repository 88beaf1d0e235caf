import type { RedisClient } from '#cache';
import type { ResumeState, ResumeStore } from './copy-contract';

/** Resume states outlive a dead worker long enough for the retry, not forever. */
const RESUME_TTL_SECONDS = 7 * 24 * 3600;

/** ResumeState of one job's chunked uploads, in one Redis hash per job (any worker resumes it). */
export class RedisResumeStore implements ResumeStore {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    jobId: string,
  ) {
    this.key = `${keyPrefix}replication:resume:${jobId}`;
  }

  async get(digest: string): Promise<ResumeState | undefined> {
    const value = await this.redis.hget(this.key, digest);
    return value ? (JSON.parse(value) as ResumeState) : undefined;
  }

  async set(state: ResumeState): Promise<void> {
    await this.redis.multi().hset(this.key, state.digest, JSON.stringify(state)).expire(this.key, RESUME_TTL_SECONDS).exec();
  }

  async delete(digest: string): Promise<void> {
    await this.redis.hdel(this.key, digest);
  }

  /** The job is done: nothing of it is left to resume. */
  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
