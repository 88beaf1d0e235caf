import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from './logger';

/** The gateway's logger writing into an array: one parsed JSON object per line. */
function capture(level = 'debug') {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRETS = {
  bearer: 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-1f2e',
  basic: 'Basic Y2ktYm90Omh1Yi1wYXNzd29yZC03YTNm',
  cookie: 'session=cookie-secret-9b1c',
  password: 'hub-password-7a3f',
  token: 'ecr-token-42d8',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  clientSecret: 'sp-client-secret-5e1f',
};

describe('gateway logger redaction', () => {
  test('credentials in request headers, top-level fields and nested objects are "[redacted]"', () => {
    const { logger, lines, records } = capture();
    logger.info({ req: { method: 'GET', headers: { authorization: SECRETS.bearer, cookie: SECRETS.cookie, accept: '*/*' } } }, 'incoming');
    logger.info({ headers: { authorization: SECRETS.basic, 'user-agent': 'gantry' } }, 'upstream request');
    logger.warn({ authorization: SECRETS.bearer, password: SECRETS.password, token: SECRETS.token }, 'top level');
    logger.error(
      {
        credentials: { username: 'ci-bot', password: SECRETS.password, token: SECRETS.token },
        aws: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRETS.secretAccessKey },
        sp: { tenantId: 'tenant-1', clientId: 'gantry-sp', clientSecret: SECRETS.clientSecret },
      },
      'nested',
    );

    const text = lines.join('');
    for (const [name, secret] of Object.entries(SECRETS)) assert.equal(text.includes(secret), false, `${name} leaked: ${text}`);
    const [incoming, upstream, top, nested] = records() as [
      { req: { method: string; headers: Record<string, string> } },
      { headers: Record<string, string> },
      Record<string, string>,
      { credentials: Record<string, string>; aws: Record<string, string>; sp: Record<string, string> },
    ];
    assert.deepEqual(incoming.req, { method: 'GET', headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } });
    assert.deepEqual(upstream.headers, { authorization: '[redacted]', 'user-agent': 'gantry' });
    assert.deepEqual([top.authorization, top.password, top.token], ['[redacted]', '[redacted]', '[redacted]']);
    assert.deepEqual(nested.credentials, { username: 'ci-bot', password: '[redacted]', token: '[redacted]' });
    assert.deepEqual(nested.aws, { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: '[redacted]' });
    assert.deepEqual(nested.sp, { tenantId: 'tenant-1', clientId: 'gantry-sp', clientSecret: '[redacted]' });
  });

  test('child loggers (one per backend) redact the same way', () => {
    const { logger, lines, records } = capture();
    logger.child({ backend: 'hub' }).debug({ credentials: { username: 'ci-bot', password: SECRETS.password } }, 'fetched credentials');
    assert.equal(lines.join('').includes(SECRETS.password), false);
    const [record] = records() as [{ backend: string; credentials: Record<string, string> }];
    assert.equal(record.backend, 'hub');
    assert.deepEqual(record.credentials, { username: 'ci-bot', password: '[redacted]' });
  });
});
