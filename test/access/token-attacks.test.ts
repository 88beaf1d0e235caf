import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWTPayload } from 'jose';
import { assertOciError, V2Client } from '../support/v2-client';
import { accessClaim, assertNoSecrets, basic, bearer, fetchToken, startAuthGateway, usersConfig, type AuthGateway } from './access-fixtures';

const b64url = (value: object | string): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * Tokens an attacker could bring, each refused with 401 and `error="invalid_token"`. The first
 * test signs valid claims with the gateway's real key and is let in: the forging is right, so
 * every refusal below is the gateway's doing.
 */
describe('token attacks', () => {
  let auth: AuthGateway;
  let key: KeyObject;
  let kid: string;
  const forged: string[] = [];

  before(async () => {
    auth = await startAuthGateway({
      users: usersConfig({ alice: ['dev'] }),
      rules: [
        { name: 'dev-rw', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull', 'push'] },
        { name: 'bob-reads', subjects: ['user:bob'], repositories: ['team/**'], actions: ['pull'] },
      ],
    });
    key = createPrivateKey(readFileSync(auth.keyFile));
    kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(key)), 'sha256');
    await new V2Client(auth.gateway.url, basic('alice')).pushImage('team/app', 'v1');
  });
  after(async () => {
    await auth?.stop();
  });

  function claims(overrides: JWTPayload = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: 'gantry', aud: 'gantry', sub: 'alice', kind: 'user', groups: ['dev'],
      access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
      iat: now, nbf: now, exp: now + 300, jti: randomUUID(),
      ...overrides,
    };
  }

  async function sign(payload: JWTPayload, signingKey: KeyObject = key, keyId = kid): Promise<string> {
    const token = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: keyId, typ: 'JWT' }).sign(signingKey);
    forged.push(token);
    return token;
  }

  async function pull(token: string): Promise<Response> {
    return new V2Client(auth.gateway.url, bearer(token)).request('GET', '/v2/team/app/tags/list');
  }

  async function assertRefused(token: string): Promise<void> {
    const res = await pull(token);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await assertOciError(res, 401, 'UNAUTHORIZED');
  }

  test('control: valid claims signed with the gateway key are accepted', async () => {
    assert.equal((await pull(await sign(claims()))).status, 200);
  });

  test('alg none is refused', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT', kid })}.${b64url(claims())}.`;
    await assertRefused(token);
  });

  test('HS256 signed with the public key (key confusion) is refused', async () => {
    const publicPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(claims())}`;
    const signature = createHmac('sha256', publicPem).update(unsigned).digest('base64url');
    await assertRefused(`${unsigned}.${signature}`);
  });

  test('an expired token is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused(await sign(claims({ iat: now - 900, nbf: now - 900, exp: now - 600 })));
  });

  test('a token not valid yet is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused(await sign(claims({ iat: now, nbf: now + 600, exp: now + 900 })));
  });

  test('a token for another audience (service) is refused', async () => {
    await assertRefused(await sign(claims({ aud: 'some-other-registry' })));
  });

  test('a token from another issuer is refused', async () => {
    await assertRefused(await sign(claims({ iss: 'evil-issuer' })));
  });

  test('a tampered payload is refused', async () => {
    const genuine = (await fetchToken(auth.gateway, 'bob', ['repository:team/app:pull'])).token;
    forged.push(genuine);
    const [header, payload, signature] = genuine.split('.') as [string, string, string];
    const claimsOf = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
    const tampered = `${header}.${b64url({ ...claimsOf, sub: 'alice', groups: ['dev'], access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }] })}.${signature}`;
    await assertRefused(tampered);
  });

  test('a key id the gateway does not know is refused', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ownKid = await calculateJwkThumbprint(await exportJWK(createPublicKey(privateKey)), 'sha256');
    await assertRefused(await sign(claims(), privateKey, ownKid));
    // Nor does borrowing the real key's id help a token signed with another key.
    await assertRefused(await sign(claims(), privateKey, kid));
  });

  test('scope escalation: /token trims push from a pull-only user, and a pull token cannot push', async () => {
    const bobs = await fetchToken(auth.gateway, 'bob', ['repository:team/app:pull,push,delete']);
    forged.push(bobs.token);
    assert.deepEqual(accessClaim(bobs.token), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    // bob's rules deny push: 403, whatever his token says.
    await assertOciError(await new V2Client(auth.gateway.url, bearer(bobs.token)).request('POST', '/v2/team/app/blobs/uploads/'), 403, 'DENIED');
    await assertOciError(await new V2Client(auth.gateway.url, bearer(await sign(claims({ sub: 'bob', groups: [] })))).request('POST', '/v2/team/app/blobs/uploads/'), 403, 'DENIED');

    // alice may push, but not with a pull token: 401 naming the scope she needs.
    const alices = await fetchToken(auth.gateway, 'alice', ['repository:team/app:pull']);
    forged.push(alices.token);
    const res = await new V2Client(auth.gateway.url, bearer(alices.token)).request('POST', '/v2/team/app/blobs/uploads/');
    assert.match(res.headers.get('www-authenticate') ?? '', /scope="repository:team\/app:pull,push",error="insufficient_scope"/);
    await assertOciError(res, 401, 'UNAUTHORIZED');
  });

  test('no forged or issued token appears in the logs', () => {
    assertNoSecrets(auth.gateway.logs, forged);
  });
});
