import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino, { type Logger } from 'pino';
import { MediaType, OciError } from '#oci';
import { GenericRegistry, StaticCredentials, type BasicCredentials } from '../../libs/registry/src/backends/generic';
import { startDistribution, type Distribution } from '../support/distribution';
import { rejectsWith } from '../support/oci-assert';
import { TestClock } from '../support/test-clock';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }), lines };
}

function backend(upstream: Distribution, logger: Logger, credentials?: BasicCredentials, clock?: TestClock): GenericRegistry {
  return new GenericRegistry({
    name: 'corp', type: 'registry', url: upstream.url, blobMode: 'proxy',
    credentials: credentials ? new StaticCredentials(credentials) : undefined,
    allowedRealmHosts: upstream.tokenServer ? [new URL(upstream.tokenServer.url).host] : undefined,
    timeouts: { connectMs: 2000, readMs: 10000 }, retries: 2, logger, clock: clock?.now,
  });
}

/** A one-layer image pushed to `repo`: enough for pulls to have something to fetch. */
async function pushSmallImage(registry: GenericRegistry, repo: string): Promise<{ digest: string; bytes: Buffer }> {
  const config = Buffer.from('{}');
  const layer = randomBytes(512);
  for (const b of [config, layer]) await registry.putBlob(repo, sha(b), Readable.from([b]), b.length);
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
  }));
  await registry.putManifest(repo, 'v1', { bytes, mediaType: MediaType.OCI_MANIFEST, digest: sha(bytes) });
  return { digest: sha(bytes), bytes };
}

describe('GenericRegistry with an htpasswd (Basic) upstream', () => {
  let upstream: Distribution;
  before(async () => {
    upstream = await startDistribution({ kind: 'htpasswd', users: { ci: 's3cret' } });
  });
  after(async () => upstream?.stop());

  test('configured credentials push and pull; status says valid', async () => {
    const registry = backend(upstream, pino({ level: 'silent' }), { username: 'ci', password: 's3cret' });
    try {
      assert.equal((await registry.status()).credentials?.state, 'unknown');
      const pushed = await pushSmallImage(registry, 'team/app');
      assert.deepEqual((await registry.getManifest('team/app', 'v1', [])).bytes, pushed.bytes);
      assert.equal((await registry.status()).credentials?.state, 'valid');
    } finally {
      await registry.close();
    }
  });

  test('a wrong password is UNAUTHORIZED naming the backend, never logged', async () => {
    const { logger, lines } = capture();
    const registry = backend(upstream, logger, { username: 'ci', password: 'wr0ng-pw' });
    try {
      const err = await rejectsWith(registry.getManifest('team/app', 'v1', []), 'UNAUTHORIZED', /backend corp rejected Gantry's credentials/);
      assert.equal(err.status, 401);
      assert.equal(err.headers['www-authenticate'], undefined, 'the upstream challenge never reaches a client');
      assert.equal((await registry.status()).credentials?.state, 'error');
      const logs = lines.join('');
      assert.ok(!logs.includes('wr0ng-pw') && !logs.includes(Buffer.from('ci:wr0ng-pw').toString('base64')), logs);
    } finally {
      await registry.close();
    }
  });

  test('no credentials at all is UNAUTHORIZED too', async () => {
    const registry = backend(upstream, pino({ level: 'silent' }));
    try {
      await rejectsWith(registry.listTags('team/app', {}), 'UNAUTHORIZED', /backend corp refused anonymous access/);
    } finally {
      await registry.close();
    }
  });
});

describe('GenericRegistry with a token-auth upstream', () => {
  let upstream: Distribution;
  const realmRequests = (scope: string): { path: string; authorization?: string }[] =>
    upstream.tokenServer!.requests.filter((r) => new URL(r.path, 'http://x').searchParams.getAll('scope').join(' ') === scope);

  before(async () => {
    upstream = await startDistribution({ kind: 'token', users: { ci: 't0ken-pw' }, anonymousPull: true });
  });
  after(async () => upstream?.stop());

  test('tokens are fetched with Basic credentials, once per scope set, and reused', async () => {
    const { logger, lines } = capture();
    const registry = backend(upstream, logger, { username: 'ci', password: 't0ken-pw' });
    try {
      const pushed = await pushSmallImage(registry, 'team/app');
      for (let i = 0; i < 15; i++) assert.deepEqual((await registry.getManifest('team/app', 'v1', [])).bytes, pushed.bytes);
      await Promise.all(Array.from({ length: 10 }, () => registry.statManifest('team/app', pushed.digest, [])));
      const pulls = realmRequests('repository:team/app:pull');
      assert.equal(pulls.length, 1, JSON.stringify(upstream.tokenServer!.requests));
      assert.equal(pulls[0]!.authorization, `Basic ${Buffer.from('ci:t0ken-pw').toString('base64')}`);
      assert.ok(new URL(pulls[0]!.path, 'http://x').searchParams.get('service') === 'test-registry');
      assert.equal(realmRequests('repository:team/app:pull,push').length, 1);
      assert.equal((await registry.status()).credentials?.state, 'valid');
      const logs = lines.join('');
      assert.ok(!logs.includes('t0ken-pw') && !logs.includes('Bearer ') && !logs.includes('Basic '), logs);
    } finally {
      await registry.close();
    }
  });

  test('concurrent first requests for one scope share a single token fetch', async () => {
    const registry = backend(upstream, pino({ level: 'silent' }), { username: 'ci', password: 't0ken-pw' });
    try {
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => registry.getManifest('team/concurrent', 'v1', [])));
      for (const r of results) assert.match(String(r.status === 'rejected' && (r.reason as OciError).code), /^(MANIFEST|NAME)_UNKNOWN$/);
      assert.equal(realmRequests('repository:team/concurrent:pull').length, 1);
    } finally {
      await registry.close();
    }
  });

  test('anonymous: pulls with an anonymous token, a push is UNAUTHORIZED', async () => {
    const registry = backend(upstream, pino({ level: 'silent' }));
    try {
      assert.equal((await registry.listTags('team/app', {})).items.includes('v1'), true);
      assert.equal(realmRequests('repository:team/app:pull').filter((r) => !r.authorization).length, 1);
      await rejectsWith(registry.putBlob('team/app', sha(Buffer.from('x')), Readable.from([Buffer.from('x')]), 1), 'UNAUTHORIZED', /backend corp/);
    } finally {
      await registry.close();
    }
  });

  test('rejected credentials: invalidated, retried once, then UNAUTHORIZED naming the backend', async () => {
    const { logger, lines } = capture();
    const registry = backend(upstream, logger, { username: 'ci', password: 'n0t-it' });
    try {
      const before = upstream.tokenServer!.requests.length;
      await rejectsWith(registry.listTags('team/app', {}), 'UNAUTHORIZED', /backend corp rejected Gantry's credentials/);
      assert.equal(upstream.tokenServer!.requests.length - before, 2, 'one retry after invalidating');
      assert.deepEqual((await registry.status()).credentials, { state: 'error', lastError: 'rejected by the upstream registry' });
      assert.ok(!lines.join('').includes('n0t-it'));
    } finally {
      await registry.close();
    }
  });

  test('a realm host that is not allowed is refused before anything is sent to it', async () => {
    const { logger, lines } = capture();
    const registry = new GenericRegistry({
      name: 'corp', type: 'registry', url: upstream.url, blobMode: 'proxy', credentials: new StaticCredentials({ username: 'ci', password: 't0ken-pw' }),
      timeouts: { connectMs: 2000, readMs: 10000 }, retries: 0, logger,
    });
    try {
      const before = upstream.tokenServer!.requests.length;
      const realmHost = new URL(upstream.tokenServer!.url).host;
      await rejectsWith(registry.listTags('team/app', {}), 'DENIED', new RegExp(`realm host ${realmHost} not allowed for backend corp`));
      assert.equal(upstream.tokenServer!.requests.length, before);
      assert.ok(lines.some((l) => l.includes('"level":40') && l.includes('not allowed')), 'logged at warn');
    } finally {
      await registry.close();
    }
  });
});

describe('token expiry', () => {
  let upstream: Distribution;
  before(async () => {
    upstream = await startDistribution({ kind: 'token', users: { ci: 'pw' }, expiresInSeconds: 2 });
  });
  after(async () => upstream?.stop());

  test('a token is renewed before it expires', async () => {
    const clock = new TestClock();
    const registry = backend(upstream, pino({ level: 'silent' }), { username: 'ci', password: 'pw' }, clock);
    try {
      await pushSmallImage(registry, 'team/app');
      const count = (): number =>
        upstream.tokenServer!.requests.filter((r) => new URL(r.path, 'http://x').searchParams.getAll('scope').join(' ') === 'repository:team/app:pull').length;
      await registry.getManifest('team/app', 'v1', []);
      await registry.getManifest('team/app', 'v1', []);
      assert.equal(count(), 1);
      clock.advance(1800); // past 80% of the token's 2 s: renewed early, as it should be
      await registry.getManifest('team/app', 'v1', []);
      assert.equal(count(), 2);
    } finally {
      await registry.close();
    }
  });
});
