import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { pino } from 'pino';
import { OidcIdentities, type OidcIssuerConfig } from '#access/auth';
import { OciError } from '#oci';
import { captureLogger } from '../cache/cache-fixtures';
import { waitFor } from '../support/temp';
import { startOidcIssuer, type OidcIssuerStandIn } from '../support/oidc-issuer';

const context = { sourceAddress: '127.0.0.1', reqId: 'req-1' };

function issuerConfig(stand: OidcIssuerStandIn, overrides: Partial<OidcIssuerConfig> = {}): OidcIssuerConfig {
  return {
    name: 'github',
    issuer: stand.issuer,
    audience: 'gantry',
    subjectClaim: 'sub',
    groups: { repository_owner: { acme: 'ci-acme', other: 'ci-other' }, ref: { 'refs/heads/main': 'main-branch' } },
    ...overrides,
  };
}

/** A token whose payload was changed after signing: the signature no longer matches. */
function tampered(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const doc = { ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object), ...claims };
  return [header, Buffer.from(JSON.stringify(doc)).toString('base64url'), signature].join('.');
}

describe('OidcIdentities', () => {
  let github: OidcIssuerStandIn;
  let stranger: OidcIssuerStandIn;
  before(async () => {
    [github, stranger] = await Promise.all([startOidcIssuer(), startOidcIssuer()]);
  });
  after(async () => {
    await Promise.all([github?.stop(), stranger?.stop()]);
  });

  test('a valid ID token logs in as <issuer>:<sub> with the groups its claims map to; keys are fetched once', async () => {
    const before = { ...github.requests };
    const log = captureLogger();
    const oidc = new OidcIdentities([issuerConfig(github)], log.logger);
    const token = await github.mint();
    const subject = await oidc.authenticate('oidc', token, context);
    assert.ok(subject && subject !== 'invalid', String(subject));
    assert.equal(subject.kind, 'oidc');
    assert.equal(subject.name, 'github:repo:acme/app:ref:refs/heads/main');
    assert.deepEqual([...subject.groups].sort(), ['ci-acme', 'main-branch']);
    assert.equal(subject.claims?.repository, 'acme/app');
    assert.equal(subject.claims?.repository_owner, 'acme');
    assert.equal(subject.claims?.aud, 'gantry');
    assert.equal(subject.claims?.exp, undefined, 'only string claims');
    const others = await Promise.all([
      oidc.authenticate('oidc', await github.mint({ repository_owner: 'other', ref: 'refs/heads/dev' }), context),
      oidc.authenticate('anything', await github.mint({ repository_owner: 'nobody-mapped' }), context),
      oidc.authenticate('oidc', token, context),
    ]);
    assert.deepEqual(others.map((s) => (s && s !== 'invalid' ? [...s.groups] : s)), [['ci-other'], ['main-branch'], ['ci-acme', 'main-branch']]);
    assert.deepEqual({ discovery: github.requests.discovery - before.discovery, jwks: github.requests.jwks - before.jwks }, { discovery: 1, jwks: 1 });
  });

  test('with jwksUrl configured, there is no discovery request', async () => {
    const before = { ...github.requests };
    const oidc = new OidcIdentities([issuerConfig(github, { jwksUrl: github.jwksUrl })], captureLogger().logger);
    const subject = await oidc.authenticate('oidc', await github.mint(), context);
    assert.ok(subject && subject !== 'invalid');
    assert.equal(github.requests.discovery, before.discovery);
    assert.equal(github.requests.jwks, before.jwks + 1);
  });

  test('another issuer, another audience, expired, not yet valid, tampered, alg none, HS256: all invalid', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const oidc = new OidcIdentities([issuerConfig(github)], logger);
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string> = {
      'an issuer not configured': await stranger.mint(),
      "another issuer's key claiming this issuer": await stranger.mint({}, { issuer: github.issuer }),
      'another audience': await github.mint({}, { audience: 'someone-else' }),
      'expired beyond the tolerance': await github.mint({}, { expiresIn: -120 }),
      'not valid before a later time': await github.mint({}, { notBefore: 600 }),
      'a tampered payload': tampered(await github.mint(), { repository_owner: 'acme', sub: 'repo:acme/prod:ref:refs/heads/main' }),
      'alg none': new UnsecuredJWT({ ...{ sub: 'x' } }).setIssuer(github.issuer).setAudience('gantry').setIssuedAt(now).setExpirationTime(now + 300).encode(),
      'HS256 with a guessable secret': await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(github.issuer)
        .setAudience('gantry')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256')),
      'no sub claim': await github.mint({ sub: undefined }),
    };
    const expectedReasons: Record<string, string> = {
      'an issuer not configured': 'issuer not configured',
      "another issuer's key claiming this issuer": 'ERR_JWKS_NO_MATCHING_KEY',
      'another audience': '"aud" claim',
      'expired beyond the tolerance': 'ERR_JWT_EXPIRED',
      'not valid before a later time': '"nbf" claim',
      'a tampered payload': 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      'alg none': 'ERR_JOSE_ALG_NOT_ALLOWED',
      'HS256 with a guessable secret': 'ERR_JOSE_ALG_NOT_ALLOWED',
      'no sub claim': 'no "sub" claim',
    };
    for (const [i, [why, token]] of Object.entries(bad).entries()) {
      assert.equal(await oidc.authenticate('oidc', token, context), 'invalid', why);
      await waitFor(`the rejection of ${why} logged`, async () => lines.length > i);
      const reason = String((JSON.parse(lines.at(-1)!) as { reason?: unknown }).reason);
      assert.ok(reason.includes(expectedReasons[why]!), `${why}: rejected for ${reason}`);
    }
    // No token, nor its signature, ever reaches a log line.
    assert.equal(lines.filter((line) => line.includes('oidc token rejected')).length, Object.keys(bad).length);
    const logged = lines.join('\n');
    for (const token of Object.values(bad)) {
      const [, payload, signature] = token.split('.');
      assert.ok(!logged.includes(payload!) && (!signature || !logged.includes(signature)), 'a token was logged');
    }
  });

  test('a password that is not a JWT is not this provider\'s to judge', async () => {
    const oidc = new OidcIdentities([issuerConfig(github)], captureLogger().logger);
    for (const password of ['hunter2', 'gantry_abc', 'a.b.c', 'x.y', '']) {
      assert.equal(await oidc.authenticate('oidc', password, context), undefined, password);
    }
  });

  test('a key rotation at the issuer is picked up; unknown kids do not make it refetch within the cooldown', async () => {
    const issuer = await startOidcIssuer();
    try {
      const eager = new OidcIdentities([issuerConfig(issuer)], captureLogger().logger, { cooldownMs: 0 });
      const patient = new OidcIdentities([issuerConfig(issuer)], captureLogger().logger);
      assert.notEqual(await eager.authenticate('oidc', await issuer.mint(), context), 'invalid');
      assert.notEqual(await patient.authenticate('oidc', await issuer.mint(), context), 'invalid');
      assert.equal(issuer.requests.jwks, 2);
      await issuer.rotate();
      const rotated = await issuer.mint();
      const subject = await eager.authenticate('oidc', rotated, context);
      assert.ok(subject && subject !== 'invalid', 'the new key was not fetched');
      assert.equal(issuer.requests.jwks, 3);
      // Within the default cooldown (30 s) a new kid cannot make Gantry hammer the issuer.
      for (let i = 0; i < 3; i++) assert.equal(await patient.authenticate('oidc', rotated, context), 'invalid');
      assert.equal(issuer.requests.jwks, 3);
    } finally {
      await issuer.stop();
    }
  });

  test('an issuer that cannot be reached is 503 (the token is not judged), and discovery is tried again later', async () => {
    const issuer = await startOidcIssuer();
    const token = await issuer.mint();
    const log = captureLogger();
    const oidc = new OidcIdentities([issuerConfig(issuer)], log.logger, { timeoutMs: 2000 });
    await issuer.stop();
    await assert.rejects(oidc.authenticate('oidc', token, context), (err: unknown) => err instanceof OciError && err.status === 503);
    assert.equal(log.count(/oidc issuer unavailable/), 1);
    await assert.rejects(oidc.authenticate('oidc', token, context), (err: unknown) => err instanceof OciError && err.status === 503);
    assert.equal(log.count(/oidc issuer unavailable/), 2);
  });
});
