import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { isOciError, MANIFEST_MEDIA_TYPES } from '#oci';
import type { Registry } from '../../libs/registry/src/port';
import { createGarRegistry, type GarDeps } from '../../libs/registry/src/backends/gar';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { tempDir } from '../support/temp';
import { TestClock } from '../support/test-clock';
import { garConfig } from '../support/clouds/backend-configs';
import { captureLogger } from '../support/clouds/captured-logger';
import { startGarCloud, type GarCloud } from '../support/clouds/gar-cloud';
import { pullBlob, pullImage, pushImage } from '../support/clouds/port-client';

describe('gar backend against an Artifact Registry stand-in', () => {
  let cloud: GarCloud;
  let image: BuiltImage;
  const dir = tempDir('gar-image');
  const log = captureLogger();
  const opened: Registry[] = [];
  const backend = (overrides: Record<string, unknown> = {}, deps?: GarDeps, name = 'gar-test'): Registry => {
    const registry = createGarRegistry(name, garConfig(cloud, overrides), log.logger, deps);
    opened.push(registry);
    return registry;
  };
  const upstreamCatalog = async (): Promise<string[]> =>
    ((await (await fetch(`${cloud.distribution.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;

  before(async () => {
    cloud = await startGarCloud({ pageSize: 1 });
    image = buildMultiArchImage(dir.path, { layerBytes: 4096 });
    // What the tests read: images/team/app and mirror/base (each test pushes what it changes).
    await pushImage(backend({ repository: 'images' }, undefined, 'gar-setup'), 'team/app', image);
    await pushImage(backend({}, undefined, 'gar-setup'), 'mirror/base', image);
  });
  after(async () => {
    for (const r of opened) await r.close();
    await cloud.stop();
    dir.remove();
  });

  it('pushes and pulls with workload identity federation (external_account -> STS -> oauth2accesstoken)', async () => {
    const stsBefore = cloud.controlPlane.calls.sts ?? 0;
    const registry = backend({ repository: 'images' });
    await pushImage(registry, 'team/app', image);
    assert.ok((await upstreamCatalog()).includes('gantry-test/images/team/app'), 'stored as <project>/<repository>/<image>');
    assert.equal(await pullImage(registry, 'team/app', image.tag), image.index.digest);
    assert.equal((cloud.controlPlane.calls.sts ?? 0) - stsBefore, 1, 'one STS exchange serves every request');
    assert.ok(cloud.storage.requests.length > 0, 'blobs came from storage through the relative /artifacts-downloads redirect');
    assert.equal(cloud.storage.authorizationSeen, false, 'storage never saw an Authorization header');
    const status = await registry.status();
    assert.equal(status.credentials?.state, 'valid');
    assert.ok(status.credentials?.validUntil);
  });

  it('without a configured repository, names are <repository>/<image> below the project', async () => {
    const registry = backend();
    assert.equal(await pullImage(registry, 'images/team/app', image.tag), image.index.digest);
    await pushImage(registry, 'mirror/base', image);
    assert.ok((await upstreamCatalog()).includes('gantry-test/mirror/base'));
    await assert.rejects(registry.getManifest('missing-repo/app', image.tag, MANIFEST_MEDIA_TYPES),
      (err: unknown) => isOciError(err) && err.code === 'NAME_UNKNOWN');
  });

  it('lists the catalog through the Artifact Registry API (repositories, dockerImages, pages)', async () => {
    const whole = backend();
    const all = await whole.listRepositories!({});
    assert.deepEqual(all.items, ['images/team/app', 'mirror/base']);
    const first = await whole.listRepositories!({ n: 1 });
    assert.deepEqual(first, { items: ['images/team/app'], next: 'images/team/app' });
    const one = backend({ repository: 'images' });
    assert.deepEqual((await one.listRepositories!({})).items, ['team/app']);
    assert.ok((cloud.controlPlane.calls.listRepositories ?? 0) >= 1 && (cloud.controlPlane.calls.listDockerImages ?? 0) >= 2);
  });

  it('an injected auth client (OAuth2 refresh token flow) drives both planes', async () => {
    const authClient = new OAuth2Client({ clientId: 'gantry-test', clientSecret: 'not-a-secret', endpoints: { oauth2TokenUrl: cloud.controlPlane.oauthTokenUrl } });
    authClient.setCredentials({ refresh_token: cloud.userRefreshToken });
    const before = cloud.controlPlane.calls.oauth ?? 0;
    const registry = backend({ repository: 'images' }, { authClient });
    assert.equal(await pullImage(registry, 'team/app', image.tag), image.index.digest);
    assert.deepEqual((await registry.listRepositories!({})).items, ['team/app']);
    assert.equal((cloud.controlPlane.calls.oauth ?? 0) - before, 1);
  });

  it('API quota exhaustion is retried, then surfaced as TOOMANYREQUESTS with Retry-After', async () => {
    const registry = backend({ repository: 'images', retries: 1 });
    cloud.controlPlane.throttle.arm(1);
    assert.deepEqual((await registry.listRepositories!({})).items, ['team/app']);
    cloud.controlPlane.throttle.arm(2);
    await assert.rejects(registry.listRepositories!({}), (err: unknown) =>
      isOciError(err) && err.code === 'TOOMANYREQUESTS' && err.headers['retry-after'] !== undefined && err.message.includes('gar-test'));
    cloud.controlPlane.throttle.arm(0);
  });

  it('a revoked access token is replaced; a revoked identity gives UNAUTHORIZED naming the backend', async () => {
    const clock = new TestClock();
    const registry = backend({ repository: 'images' }, { clock: clock.now }, 'gar-revoked');
    await pullBlob(registry, 'team/app', image.blobs[0]!.digest);
    clock.advance(1100); // older than the "just fetched" window, so a refusal triggers a refetch
    cloud.controlPlane.revoke();
    cloud.registryTokens.revokeAll();
    const stsBefore = cloud.controlPlane.calls.sts ?? 0;
    await pullBlob(registry, 'team/app', image.blobs[1]!.digest);
    assert.equal((cloud.controlPlane.calls.sts ?? 0) - stsBefore, 1, 'a new access token was fetched once');

    clock.advance(1100);
    cloud.controlPlane.revoke(true);
    cloud.registryTokens.revokeAll();
    await assert.rejects(registry.getManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES), (err: unknown) =>
      isOciError(err) && err.code === 'UNAUTHORIZED' && err.status === 401 && err.message.includes('gar-revoked'));
    const status = await registry.status();
    assert.equal(status.credentials?.state, 'error');
    assert.match(status.credentials?.lastError ?? '', /invalid_grant/);
  });

  it('never logs a credential', () => {
    const text = log.text();
    assert.ok(text.length > 0);
    for (const secret of [cloud.subjectToken, cloud.userRefreshToken, ...cloud.controlPlane.issuedAccessTokens()]) {
      assert.equal(text.includes(secret), false, 'a secret appeared in the logs');
    }
  });
});
