import { OciError } from '#oci';
import { redisReady, type RedisClient } from '#cache';
import {
  isSessionId, SessionClock, type SessionAging, type SessionCaps, type SessionCount, type UploadSession, type UploadSessionStore,
} from './upload-session';

/** How long a request waits for a (re)connecting Redis before it gets 503. */
const READY_WAIT_MS = 2_000;

/** Saves a new session only while both caps have room: the count and the save are one step. */
const INSERT = `
local total = redis.call('ZCARD', KEYS[2])
local repository = redis.call('ZCARD', KEYS[3])
if total >= tonumber(ARGV[4]) or repository >= tonumber(ARGV[5]) then return {0, total, repository} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return {1, total, repository}`;

/**
 * Removes a session; answers it only to the caller that took it off the open set, so that of two
 * replicas sweeping at once exactly one cancels its backend side.
 */
const TAKE = `
local taken = redis.call('ZREM', KEYS[2], ARGV[1])
local doc = redis.call('GET', KEYS[1])
if doc then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[2] .. cjson.decode(doc).name, ARGV[1])
end
if taken == 1 then return doc end
return false`;

/**
 * Sessions in Redis, so that any gateway replica continues an upload another one started. One
 * JSON value per session, plus sorted sets by creation time of the open sessions, in all and per
 * repository, which answer the caps and the sweep. All keys share one hash tag (one Cluster slot)
 * so that the scripts may touch them together. Redis being away fails the request with 503.
 */
export class RedisUploadSessionStore implements UploadSessionStore {
  private readonly clock: SessionClock;
  private readonly now: () => number;
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly aging: SessionAging,
  ) {
    this.clock = new SessionClock(aging);
    this.now = aging.now ?? Date.now;
    this.base = `${keyPrefix}{uploads}:`;
  }

  async get(id: string): Promise<UploadSession | undefined> {
    if (!isSessionId(id)) return undefined;
    const session = parseSession(await this.run(() => this.redis.get(this.sessionKey(id))));
    return session && !this.clock.isExpired(session) ? session : undefined;
  }

  async save(session: UploadSession): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .set(this.sessionKey(session.id), JSON.stringify(session))
        .zadd(this.openKey(), session.createdAt, session.id)
        .zadd(this.repositoryKey(session.name), session.createdAt, session.id)
        .exec(),
    );
  }

  async insert(session: UploadSession, caps: SessionCaps): Promise<SessionCount | undefined> {
    const [saved, total, repository] = (await this.run(() =>
      this.redis.eval(
        INSERT, 3, this.sessionKey(session.id), this.openKey(), this.repositoryKey(session.name),
        JSON.stringify(session), session.id, String(session.createdAt), String(caps.maxTotal), String(caps.maxPerRepository),
      ),
    )) as [number, number, number];
    return saved === 1 ? undefined : { total, repository };
  }

  async delete(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    await this.take(id);
  }

  async count(name: string): Promise<SessionCount> {
    const replies = await this.run(() => this.redis.multi().zcard(this.openKey()).zcard(this.repositoryKey(name)).exec());
    const [total, repository] = (replies ?? []).map(([, value]) => Number(value));
    return { total: total ?? 0, repository: repository ?? 0 };
  }

  async takeExpired(): Promise<UploadSession[]> {
    // Expired means older than the age limit, exactly as SessionClock says: created before the cut-off.
    const cutoff = this.now() - this.aging.maxAgeMs;
    const ids = await this.run(() => this.redis.zrangebyscore(this.openKey(), '-inf', `(${cutoff}`));
    const expired: UploadSession[] = [];
    for (const id of ids) {
      const session = await this.take(id);
      if (session) expired.push(session);
    }
    return expired;
  }

  private async take(id: string): Promise<UploadSession | undefined> {
    const doc = (await this.run(() => this.redis.eval(TAKE, 2, this.sessionKey(id), this.openKey(), id, this.repositoryKey('')))) as string | null;
    return parseSession(doc);
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      await redisReady(this.redis, READY_WAIT_MS);
      return await command();
    } catch {
      throw new OciError('UNAVAILABLE', 'upload sessions are unavailable: the shared session store (Redis) does not answer');
    }
  }

  private sessionKey(id: string): string {
    return `${this.base}session:${id}`;
  }

  private openKey(): string {
    return `${this.base}open`;
  }

  private repositoryKey(name: string): string {
    return `${this.base}repository:${name}`;
  }
}

function parseSession(text: string | null | undefined): UploadSession | undefined {
  if (!text) return undefined;
  try {
    const doc = JSON.parse(text) as Partial<UploadSession> | null;
    return doc && typeof doc.id === 'string' && typeof doc.name === 'string' && typeof doc.createdAt === 'number' && typeof doc.handle === 'string'
      ? (doc as UploadSession)
      : undefined;
  } catch {
    return undefined;
  }
}
