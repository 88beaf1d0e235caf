import { redisReady, type RedisClient } from '#cache';
import { OciError } from '#oci';
import { parseRobotRecord, type RobotRecord } from './robot-record';
import type { RobotStore } from './robot-store';

/** How long a request waits for a (re)connecting Redis before it gets 503. */
const READY_WAIT_MS = 2_000;

/**
 * Robot accounts in Redis, shared by every gateway replica: one hash (`<prefix>robots`), a JSON
 * record per robot name. HSETNX makes "create unless the name is taken" one step across
 * replicas. A robot cannot be checked while Redis is away: such a request gets 503, never a guess.
 */
export class RedisRobotStore implements RobotStore {
  readonly kind = 'redis';
  readonly local = false;
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
  ) {
    this.key = `${keyPrefix}robots`;
  }

  async get(name: string): Promise<RobotRecord | undefined> {
    return parse(await this.run(() => this.redis.hget(this.key, name)));
  }

  async list(): Promise<RobotRecord[]> {
    const values = await this.run(() => this.redis.hvals(this.key));
    return values.map(parse).filter((r): r is RobotRecord => r !== undefined);
  }

  async add(record: RobotRecord): Promise<boolean> {
    return (await this.run(() => this.redis.hsetnx(this.key, record.name, JSON.stringify(record)))) === 1;
  }

  async remove(name: string): Promise<boolean> {
    return (await this.run(() => this.redis.hdel(this.key, name))) === 1;
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      await redisReady(this.redis, READY_WAIT_MS);
      return await command();
    } catch {
      throw new OciError('UNAVAILABLE', 'robot accounts are unavailable: the shared store (Redis) does not answer');
    }
  }
}

function parse(text: string | null | undefined): RobotRecord | undefined {
  if (!text) return undefined;
  try {
    return parseRobotRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}
