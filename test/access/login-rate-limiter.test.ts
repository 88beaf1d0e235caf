import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRedisClient, type RedisClient } from '#cache';
import { LoginRateLimiter, type LoginLimits } from '#access/auth';
import { OciError } from '#oci';
import { uniquePrefix } from '../cache/cache-fixtures';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';

const limits: LoginLimits = { perUserAddress: 10, perAddress: 50, windowSeconds: 60 };
const here = { sourceAddress: '203.0.113.7' };
const elsewhere = { sourceAddress: '198.51.100.20' };

let redis: RedisProcess;
const clients: RedisClient[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

/** A connection as the gateway makes it (fail fast, no offline queue), once ready. */
async function connect(): Promise<RedisClient> {
  const client = createRedisClient({ url: redis.url, keyPrefix: 'unused:' });
  client.on('error', () => undefined);
  clients.push(client);
  await waitFor('redis connection', async () => client.status === 'ready');
  return client;
}

async function assertThrottled(promise: Promise<void>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof OciError, String(err));
    assert.equal(err.status, 429);
    assert.equal(err.code, 'TOOMANYREQUESTS');
    const retryAfter = Number(err.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${err.headers['retry-after']}`);
    return true;
  });
}

/** One failed login as the token endpoint does it: ask, fail, record. */
async function failOnce(limiter: LoginRateLimiter, user: string, context = here): Promise<void> {
  await limiter.assertAllowed(user, context);
  await limiter.recordFailure(user, context);
}

const kinds: [string, () => Promise<LoginRateLimiter>][] = [
  ['memory', async () => new LoginRateLimiter(limits)],
  ['redis', async () => new LoginRateLimiter(limits, { redis: await connect(), keyPrefix: uniquePrefix() })],
];

for (const [kind, create] of kinds) {
  describe(`LoginRateLimiter (${kind})`, () => {
    test('the 11th attempt after 10 failures in the window gets 429 with Retry-After; another address still logs in', async () => {
      const limiter = await create();
      for (let i = 0; i < 10; i++) await failOnce(limiter, 'alice');
      await assertThrottled(limiter.assertAllowed('alice', here));
      // The right password from that address is refused too: the limit is on attempts, not on wrong ones.
      await assertThrottled(limiter.assertAllowed('alice', here));
      await limiter.assertAllowed('alice', elsewhere);
      await limiter.recordSuccess('alice', elsewhere);
      await limiter.assertAllowed('bob', here);
    });

    test('a success resets the count for that user at that address', async () => {
      const limiter = await create();
      for (let i = 0; i < 9; i++) await failOnce(limiter, 'alice');
      await limiter.assertAllowed('alice', here);
      await limiter.recordSuccess('alice', here);
      for (let i = 0; i < 9; i++) await failOnce(limiter, 'alice');
      await limiter.assertAllowed('alice', here);
    });

    test('one address failing for many users is stopped for all of them', async () => {
      const limiter = await create();
      for (let i = 0; i < 50; i++) await failOnce(limiter, `user${i}`);
      await assertThrottled(limiter.assertAllowed('somebody-new', here));
      await limiter.assertAllowed('somebody-new', elsewhere);
    });
  });
}

test('Redis holds one count for all replicas, keyed by a hash of the username', async () => {
  const client = await connect();
  const keyPrefix = uniquePrefix();
  const replicaA = new LoginRateLimiter(limits, { redis: client, keyPrefix });
  const replicaB = new LoginRateLimiter(limits, { redis: await connect(), keyPrefix });
  for (let i = 0; i < 5; i++) await failOnce(replicaA, 'alice@example.com');
  for (let i = 0; i < 5; i++) await failOnce(replicaB, 'alice@example.com');
  await assertThrottled(replicaA.assertAllowed('alice@example.com', here));
  await assertThrottled(replicaB.assertAllowed('alice@example.com', here));
  const keys = await client.keys(`${keyPrefix}*`);
  assert.ok(keys.length >= 2, keys.join(', '));
  assert.ok(keys.every((key) => key.startsWith(`${keyPrefix}login-failures:`)), keys.join(', '));
  assert.ok(!keys.some((key) => key.includes('alice')), `a raw username in ${keys.join(', ')}`);
});

test('with Redis away, failures are still counted (in memory) and the limit still holds', async () => {
  const client = await connect();
  const limiter = new LoginRateLimiter(limits, { redis: client, keyPrefix: uniquePrefix() });
  await redis.kill();
  try {
    await waitFor('the connection to notice', async () => client.status !== 'ready');
    for (let i = 0; i < 10; i++) await failOnce(limiter, 'alice');
    await assertThrottled(limiter.assertAllowed('alice', here));
    await limiter.assertAllowed('alice', elsewhere);
  } finally {
    await redis.restart();
  }
});
