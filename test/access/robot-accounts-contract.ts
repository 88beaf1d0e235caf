import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { OciError } from '#oci';
import type { RobotAccounts, Subject } from '#access';
import type { TestClock } from '../support/test-clock';

/** RobotAccounts over one store, and what the contract may do with it. */
export interface RobotAccountsFixture {
  accounts: RobotAccounts;
  clock: TestClock;
  /** Everything the store holds, as raw text (the file; every Redis value). */
  storedText(): Promise<string>;
  /** A second RobotAccounts on the same storage: a restart (file) or another replica (Redis). */
  reopen(): RobotAccounts;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const scope = [{ repositories: ['team/**'], actions: ['pull', 'push'] }];
const context = { sourceAddress: '127.0.0.1' };

async function rejectsWith(promise: Promise<unknown>, status: number, field?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof OciError, String(err));
    assert.equal(err.status, status);
    if (field) assert.match(err.message, new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}`));
    return true;
  });
}

/** A robot subject without its (random) credential id, which is checked on its own. */
function withoutId(subject: Subject | 'invalid' | undefined): unknown {
  if (!subject || subject === 'invalid') return subject;
  assert.match(subject.credentialId ?? '', /^[A-Za-z0-9_-]{22}$/);
  const { credentialId: _id, ...rest } = subject;
  return rest;
}

/** The one behaviour robot accounts have, whatever store keeps them. */
export function robotAccountsContract(name: string, create: () => Promise<RobotAccountsFixture>): void {
  describe(`RobotAccounts contract: ${name}`, () => {
    let f: RobotAccountsFixture;
    beforeEach(async () => {
      f = await create();
    });
    afterEach(async () => {
      await f.close();
    });

    test('create hands out a recognisable high-entropy secret once; the robot logs in with it', async () => {
      const before = f.clock.now();
      const created = await f.accounts.create({ name: 'ci', scope, expiresInMs: 30 * DAY, description: 'CI pushes' });
      assert.equal(created.username, 'robot+ci');
      assert.match(created.secret, /^gantry_[A-Za-z0-9_-]{43}$/);
      const expiresAt = created.expiresAt.getTime();
      assert.ok(expiresAt >= before + 30 * DAY && expiresAt <= f.clock.now() + 30 * DAY, created.expiresAt.toISOString());
      const subject = await f.accounts.authenticate('robot+ci', created.secret, context);
      assert.deepEqual(withoutId(subject), { kind: 'robot', name: 'ci', groups: [], grants: scope });
      assert.equal(await f.accounts.authenticate('robot+ci', `${created.secret}x`, context), 'invalid');
      assert.equal(await f.accounts.authenticate('robot+nobody', created.secret, context), 'invalid');
      assert.equal(await f.accounts.authenticate('robot+NOT A NAME', created.secret, context), 'invalid');
      assert.equal(await f.accounts.authenticate('alice', created.secret, context), undefined, 'not a robot name: another provider judges');
      const other = await f.accounts.create({ name: 'deploy', scope, expiresInMs: DAY });
      assert.notEqual(other.secret, created.secret);
      assert.equal(await f.accounts.authenticate('robot+deploy', created.secret, context), 'invalid');
    });

    test('the secret is never stored, only its SHA-256; list shows neither', async () => {
      const created = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY });
      const stored = await f.storedText();
      assert.ok(stored.includes('"ci"'), stored);
      assert.ok(!stored.includes(created.secret), 'the secret is stored in clear');
      assert.ok(!stored.includes(created.secret.slice('gantry_'.length)), 'the secret is stored in clear');
      assert.match(stored, /sha256:[0-9a-f]{64}/);
      const list = await f.accounts.list();
      assert.equal(list.length, 1);
      assert.deepEqual(Object.keys(list[0]!).sort(), ['createdAt', 'expired', 'expiresAt', 'name', 'scope', 'username']);
      assert.equal(list[0]!.expired, false);
      assert.ok(!JSON.stringify(list).includes('sha256:'));
    });

    test('a taken name is refused with 409 and changes nothing', async () => {
      const first = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY });
      await rejectsWith(f.accounts.create({ name: 'ci', scope: [{ repositories: ['**'], actions: ['admin'] }], expiresInMs: DAY }), 409);
      assert.deepEqual(withoutId(await f.accounts.authenticate('robot+ci', first.secret, context)), { kind: 'robot', name: 'ci', groups: [], grants: scope });
    });

    test('bad input is refused with 400 naming the field', async () => {
      await rejectsWith(f.accounts.create({ name: 'Bad Name', scope, expiresInMs: DAY }), 400, 'name');
      await rejectsWith(f.accounts.create({ name: 'ci', scope, expiresInMs: 400 * DAY }), 400, 'expiresIn');
      await rejectsWith(f.accounts.create({ name: 'ci', scope, expiresInMs: 0 }), 400, 'expiresIn');
      await rejectsWith(f.accounts.create({ name: 'ci', scope: [], expiresInMs: DAY }), 400, 'scope');
      await rejectsWith(f.accounts.create({ name: 'ci', scope: [{ repositories: ['a'], actions: ['fly'] }], expiresInMs: DAY }), 400, 'scope[0].actions');
      assert.deepEqual(await f.accounts.list(), []);
    });

    test('a revoked robot is no longer valid and cannot log in', async () => {
      const created = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY });
      const subject = await f.accounts.authenticate('robot+ci', created.secret, context);
      assert.ok(subject && subject !== 'invalid');
      assert.equal(await f.accounts.stillValid(subject), true);
      assert.equal(await f.accounts.revoke('ci'), true);
      assert.equal(await f.accounts.stillValid(subject), false);
      assert.equal(await f.accounts.authenticate('robot+ci', created.secret, context), 'invalid');
      assert.equal(await f.accounts.describe('ci'), undefined);
      assert.equal(await f.accounts.revoke('ci'), false);
      assert.deepEqual(await f.accounts.list(), []);
    });

    test('an expired robot is listed as expired, is not valid and cannot log in', async () => {
      const created = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY });
      const subject = await f.accounts.describe('ci');
      assert.deepEqual(withoutId(subject), { kind: 'robot', name: 'ci', groups: [], grants: scope });
      f.clock.advance(DAY);
      assert.equal(await f.accounts.stillValid(subject!), false);
      assert.equal(await f.accounts.authenticate('robot+ci', created.secret, context), 'invalid');
      assert.equal(await f.accounts.describe('ci'), undefined);
      assert.equal((await f.accounts.list())[0]?.expired, true);
    });

    test('a robot revoked and created again under its name is another credential: the old subject stays invalid', async () => {
      const first = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY });
      const old = await f.accounts.authenticate('robot+ci', first.secret, context);
      assert.ok(old && old !== 'invalid');
      await f.accounts.revoke('ci');
      const second = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY });
      const fresh = await f.accounts.authenticate('robot+ci', second.secret, context);
      assert.ok(fresh && fresh !== 'invalid');
      assert.notEqual(fresh.credentialId, old.credentialId);
      assert.equal(await f.accounts.stillValid(old), false);
      assert.equal(await f.accounts.stillValid(fresh), true);
      assert.equal(await f.accounts.authenticate('robot+ci', first.secret, context), 'invalid');
    });

    test('another instance on the same storage knows the robots (restart, or another replica)', async () => {
      const created = await f.accounts.create({ name: 'ci', scope, expiresInMs: DAY, description: 'kept' });
      const again = f.reopen();
      assert.deepEqual(withoutId(await again.authenticate('robot+ci', created.secret, context)), { kind: 'robot', name: 'ci', groups: [], grants: scope });
      assert.equal((await again.list())[0]?.description, 'kept');
      assert.equal(await again.revoke('ci'), true);
      assert.equal(await f.reopen().authenticate('robot+ci', created.secret, context), 'invalid');
    });
  });
}
