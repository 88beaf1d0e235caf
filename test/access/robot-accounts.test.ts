import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { FileRobotStore, RedisRobotStore, RobotAccounts, ROBOT_VALIDITY_CACHE_MS } from '#access/auth';
import { uniquePrefix } from '../cache/cache-fixtures';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir } from '../support/temp';
import { TestClock } from '../support/test-clock';
import { robotAccountsContract } from './robot-accounts-contract';

const maxTtlMs = 365 * 86_400_000;
let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

robotAccountsContract('file', async () => {
  const dir = tempDir('robots');
  const path = join(dir.path, 'nested', 'robots.json');
  const clock = new TestClock();
  const open = (): RobotAccounts => new RobotAccounts(new FileRobotStore(path), { maxTtlMs, now: clock.now });
  return {
    accounts: open(),
    clock,
    storedText: async () => readFileSync(path, 'utf8'),
    reopen: open,
    close: async () => dir.remove(),
  };
});

robotAccountsContract('redis', async () => {
  const client = new Redis(redis.url);
  const prefix = uniquePrefix();
  const clock = new TestClock();
  const open = (): RobotAccounts => new RobotAccounts(new RedisRobotStore(client, prefix), { maxTtlMs, now: clock.now });
  return {
    accounts: open(),
    clock,
    storedText: async () => {
      const keys = await client.keys(`${prefix}*`);
      const values = await Promise.all(keys.map(async (k) => JSON.stringify(await client.hgetall(k))));
      return keys.join('\n') + values.join('\n');
    },
    reopen: open,
    close: async () => {
      client.disconnect();
    },
  };
});

test('the robots file is readable by its owner only, and no temp file is left behind', async () => {
  const dir = tempDir('robots');
  try {
    const path = join(dir.path, 'robots.json');
    const accounts = new RobotAccounts(new FileRobotStore(path), { maxTtlMs });
    await Promise.all(['a', 'b', 'c'].map((name) => accounts.create({ name, scope: [{ repositories: ['*'], actions: ['pull'] }], expiresInMs: 60_000 })));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual((await new RobotAccounts(new FileRobotStore(path), { maxTtlMs }).list()).map((r) => r.name), ['a', 'b', 'c']);
    assert.deepEqual(readdirSync(dir.path), ['robots.json']);
  } finally {
    dir.remove();
  }
});

test('a robots file that is not robots stops the start instead of losing them', () => {
  const dir = tempDir('robots');
  try {
    const path = join(dir.path, 'robots.json');
    writeFileSync(path, '{"robots": [{"name": "x"}]}');
    assert.throws(() => new FileRobotStore(path), /robots\[0\] is not a valid robot record/);
  } finally {
    dir.remove();
  }
});

test('with Redis, another replica sees a revocation within the validity cache bound', async () => {
  const client = new Redis(redis.url);
  try {
    const prefix = uniquePrefix();
    const clock = new TestClock();
    const here = new RobotAccounts(new RedisRobotStore(client, prefix), { maxTtlMs, now: clock.now });
    const there = new RobotAccounts(new RedisRobotStore(client, prefix), { maxTtlMs, now: clock.now });
    const created = await here.create({ name: 'ci', scope: [{ repositories: ['*'], actions: ['pull'] }], expiresInMs: 60_000 });
    const subject = await there.authenticate('robot+ci', created.secret, { sourceAddress: '127.0.0.1' });
    assert.ok(subject && subject !== 'invalid');
    assert.equal(await there.stillValid(subject), true);
    await here.revoke('ci');
    assert.equal(await here.stillValid(subject), false, 'the replica that revoked knows at once');
    assert.equal(await there.stillValid(subject), true, 'the other replica answers from its short cache');
    clock.advance(ROBOT_VALIDITY_CACHE_MS);
    assert.equal(await there.stillValid(subject), false, 'after the bound, the other replica knows too');
  } finally {
    client.disconnect();
  }
});
