import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator } from './authenticator';
import type { IdentityProvider, LoginThrottle } from './identity-provider';
import type { Subject, SubjectKind } from './subject';

/** A provider that records who asked it and accepts the password `ok`. */
function provider(kind: SubjectKind, asked: string[], valid = true): IdentityProvider {
  return {
    kind,
    authenticate: async (username, password) => {
      asked.push(`${kind}:${username}`);
      return password === 'ok' || password.startsWith('eyJ') ? { kind, name: username, groups: [] } : 'invalid';
    },
    stillValid: async () => valid,
  };
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const idToken = (iss: string) => `${b64({ alg: 'RS256' })}.${b64({ iss, sub: 'x' })}.c2ln`;

test('robot+ names go to robots, JWTs of a configured issuer to OIDC, the rest to users', async () => {
  const asked: string[] = [];
  const auth = new Authenticator({
    providers: [provider('robot', asked), provider('oidc', asked), provider('user', asked)],
    oidcIssuers: ['https://issuer.example'],
    rememberMs: 1000,
  });
  const context = { sourceAddress: '127.0.0.1' };
  assert.equal((await auth.login('robot+ci', 'ok', context))?.kind, 'robot');
  assert.equal((await auth.login('gha', idToken('https://issuer.example'), context))?.kind, 'oidc');
  assert.equal((await auth.login('gha', idToken('https://elsewhere.example'), context))?.kind, 'user');
  assert.equal(await auth.login('alice', 'wrong', context), undefined);
  assert.deepEqual(asked, ['robot:robot+ci', 'oidc:gha', 'user:gha', 'user:alice']);
});

test('the throttle is asked first and told how each login went', async () => {
  const calls: string[] = [];
  const throttle: LoginThrottle = {
    assertAllowed: async (u) => void calls.push(`check ${u}`),
    recordFailure: async (u) => void calls.push(`fail ${u}`),
    recordSuccess: async (u) => void calls.push(`ok ${u}`),
  };
  const auth = new Authenticator({ providers: [provider('user', [])], throttle, oidcIssuers: [], rememberMs: 1000 });
  await auth.login('alice', 'ok', { sourceAddress: '::1' });
  await auth.login('alice', 'bad', { sourceAddress: '::1' });
  assert.deepEqual(calls, ['check alice', 'ok alice', 'check alice', 'fail alice']);
});

test('remembered logins skip the provider; stillValid asks the subject\'s provider', async () => {
  const asked: string[] = [];
  const auth = new Authenticator({ providers: [provider('user', asked), provider('robot', [], false)], oidcIssuers: [], rememberMs: 60_000 });
  await auth.loginRemembered('alice', 'ok', { sourceAddress: '::1' });
  await auth.loginRemembered('alice', 'ok', { sourceAddress: '::1' });
  assert.equal(await auth.loginRemembered('alice', 'other', { sourceAddress: '::1' }), undefined);
  assert.deepEqual(asked, ['user:alice', 'user:alice']);
  const robot: Subject = { kind: 'robot', name: 'ci', groups: [] };
  assert.equal(await auth.stillValid(robot), false);
  assert.equal(await auth.stillValid({ kind: 'oidc', name: 'x', groups: [] }), false, 'no OIDC provider: not valid');
});
