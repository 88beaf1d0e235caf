import type { RedisClient } from './redis-connection';

/** One 'ready' listener per connection, however many requests wait on it. */
const pending = new WeakMap<RedisClient, Promise<void>>();

/**
 * Waits (at most `timeoutMs`) for the connection to be usable. Commands fail fast while Redis is
 * away (no offline queue), so state that must not be guessed (upload sessions, locks) waits this
 * briefly first: right after start, or while ioredis reconnects, a request is not failed for it.
 */
export async function redisReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  let ready = pending.get(redis);
  if (!ready) {
    ready = new Promise<void>((resolve) => redis.once('ready', () => resolve())).finally(() => pending.delete(redis));
    pending.set(redis, ready);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
