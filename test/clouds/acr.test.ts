import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TokenCredential } from '@azure/core-auth';
import { isOciError, MANIFEST_MEDIA_TYPES } from '#oci';
import type { Registry } from '../../libs/registry/src/port';
import { createAcrRegistry, type AcrDeps } from '../../libs/registry/src/backends/acr';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { tempDir } from '../support/temp';
import { TestClock } from '../support/test-clock';
import { startAcrCloud, type AcrCloud } from '../support/clouds/acr-cloud';
import { acrConfig } from '../support/clouds/backend-configs';
import { captureLogger } from '../support/clouds/captured-logger';
import { pullBlob, pullImage, pushImage } from '../support/clouds/port-client';

const SP = { tenantId: 'f00dcafe-0000-4000-8000-000000000001', clientId: 'gantry-sp', clientSecret: 'sp-client-secret-5e1f' };

const allAadTokens: string[] = [];

/** What @azure/identity would hand out; a test credential because it refuses http authorities. */
function aadCredential(cloud: AcrCloud): TokenCredential & { token: string; scopes: string[] } {
  const token = `aad-${randomBytes(16).toString('hex')}`;
  cloud.aadTokens.add(token);
  allAadTokens.push(token);
  const scopes: string[] = [];
  return {
    token,
    scopes,
    getToken: async (requested: string | string[]) => {
      scopes.push(...[requested].flat());
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

describe('acr backend against an ACR stand-in', () => {
  let cloud: AcrCloud;
  let image: BuiltImage;
  const dir = tempDir('acr-image');
  const log = captureLogger();
  const opened: Registry[] = [];
  const backend = (overrides: Record<string, unknown>, deps?: AcrDeps, name = 'acr-test'): Registry => {
    const registry = createAcrRegistry(name, acrConfig(cloud, overrides), log.logger, {
      clientOptions: { tlsOptions: { ca: cloud.caCert } },
      ...deps,
    });
    opened.push(registry);
    return registry;
  };

  before(async () => {
    cloud = await startAcrCloud();
    image = buildMultiArchImage(dir.path, { layerBytes: 4096 });
    // What the tests read: team/app and base/os (each test pushes what it changes).
    const setup = backend({ credentials: SP }, { credential: aadCredential(cloud) }, 'acr-setup');
    await pushImage(setup, 'team/app', image);
    await pushImage(setup, 'base/os', image);
  });
  after(async () => {
    for (const r of opened) await r.close();
    await cloud.stop();
    dir.remove();
  });

  it('pushes and pulls with an AAD identity: one /oauth2/exchange, access tokens from /oauth2/token', async () => {
    const credential = aadCredential(cloud);
    const registry = backend({ credentials: SP }, { credential });
    const [exchanges, tokens] = [cloud.tokens.calls.exchange, cloud.tokens.calls.token];
    await pushImage(registry, 'team/app', image);
    assert.equal(await pullImage(registry, 'team/app', image.tag), image.index.digest);
    assert.equal(cloud.tokens.calls.exchange - exchanges, 1, 'the refresh token is cached by its exp');
    assert.deepEqual(cloud.tokens.exchanges.at(-1), { grant_type: 'access_token', service: cloud.service, tenant: SP.tenantId });
    assert.ok(credential.scopes.every((s) => s === 'https://containerregistry.azure.net/.default'));
    assert.ok(cloud.tokens.calls.token - tokens <= 4, `access tokens are cached per scope set (${cloud.tokens.calls.token - tokens} fetched)`);
    assert.ok(cloud.storage.requests.length > 0, 'blobs came from presigned storage');
    assert.equal(cloud.storage.authorizationSeen, false, 'storage never saw an Authorization header');
    const status = await registry.status();
    assert.equal(status.credentials?.state, 'valid');
    assert.ok(status.credentials?.validUntil);
  });

  it('lists the catalog through @azure/container-registry (its own AAD exchange, over TLS)', async () => {
    const registry = backend({}, { credential: aadCredential(cloud) });
    assert.deepEqual((await registry.listRepositories!({})).items, ['base/os', 'team/app']);
    assert.deepEqual(await registry.listRepositories!({ n: 1 }), { items: ['base/os'], next: 'base/os' });
    assert.ok(cloud.front.requests.some((r) => r.path.startsWith('/acr/v1/_catalog')));
  });

  it('an admin user is plain Basic to the token realm; the catalog is then _catalog', async () => {
    const registry = backend({ credentials: cloud.admin });
    assert.equal(await pullImage(registry, 'team/app', image.tag), image.index.digest);
    assert.deepEqual((await registry.listRepositories!({})).items, ['base/os', 'team/app']);
    assert.equal((await registry.status()).auth, 'basic');
  });

  it('control-plane 429 is retried after Retry-After, then surfaced as TOOMANYREQUESTS', async () => {
    const registry = backend({ retries: 1 }, { credential: aadCredential(cloud) });
    cloud.apiThrottle.arm(1);
    assert.equal((await registry.listRepositories!({})).items.length, 2);
    cloud.apiThrottle.arm(2);
    await assert.rejects(registry.listRepositories!({}), (err: unknown) =>
      isOciError(err) && err.code === 'TOOMANYREQUESTS' && err.headers['retry-after'] === '1' && err.message.includes('acr-test'));
    cloud.apiThrottle.arm(0);
  });

  it('data-plane 429 is surfaced as TOOMANYREQUESTS once retries are spent', async () => {
    const registry = backend({ retries: 0 }, { credential: aadCredential(cloud) });
    await registry.statManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES);
    cloud.front.throttle.arm(1);
    await assert.rejects(registry.statManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES), (err: unknown) =>
      isOciError(err) && err.code === 'TOOMANYREQUESTS' && err.status === 429 && err.headers['retry-after'] === '1');
    cloud.front.throttle.arm(0);
  });

  it('revoked ACR tokens are re-exchanged once; a revoked AAD token gives UNAUTHORIZED naming the backend', async () => {
    const credential = aadCredential(cloud);
    const clock = new TestClock();
    const registry = backend({}, { credential, clock: clock.now }, 'acr-revoked');
    await pullBlob(registry, 'team/app', image.blobs[0]!.digest);
    clock.advance(1100); // older than the "just fetched" window, so a refusal triggers a refetch
    const exchanges = cloud.tokens.calls.exchange;
    cloud.tokens.revokeIssued();
    await pullBlob(registry, 'team/app', image.blobs[1]!.digest);
    assert.equal(cloud.tokens.calls.exchange - exchanges, 1);

    clock.advance(1100);
    cloud.tokens.revokeIssued();
    cloud.aadTokens.delete(credential.token);
    await assert.rejects(registry.getManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES), (err: unknown) =>
      isOciError(err) && err.code === 'UNAUTHORIZED' && err.status === 401 && err.message.includes('acr-revoked'));
    assert.equal((await registry.status()).credentials?.state, 'error');
  });

  it('an AAD failure (bad client secret) is UNAUTHORIZED naming the backend, without the secret', async () => {
    const failing: TokenCredential = {
      getToken: async () => {
        throw Object.assign(new Error('AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationError' });
      },
    };
    const registry = backend({ credentials: SP }, { credential: failing }, 'acr-bad-secret');
    await assert.rejects(registry.getManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES), (err: unknown) =>
      isOciError(err) && err.code === 'UNAUTHORIZED' && err.message.includes('acr-bad-secret') && !err.message.includes(SP.clientSecret));
    const status = await registry.status();
    assert.equal(status.credentials?.state, 'error');
    assert.match(status.credentials?.lastError ?? '', /AADSTS7000215/);
  });

  it('never logs a credential', () => {
    const text = log.text();
    assert.ok(text.length > 0);
    for (const secret of [SP.clientSecret, cloud.admin.password, ...allAadTokens, ...cloud.tokens.issued]) {
      assert.equal(text.includes(secret), false, 'a secret appeared in the logs');
    }
  });
});
