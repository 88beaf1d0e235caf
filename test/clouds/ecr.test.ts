import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isOciError, MANIFEST_MEDIA_TYPES } from '#oci';
import type { Registry } from '../../libs/registry/src/port';
import { createEcrRegistry } from '../../libs/registry/src/backends/ecr';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { tempDir } from '../support/temp';
import { TestClock } from '../support/test-clock';
import { ecrConfig } from '../support/clouds/backend-configs';
import { captureLogger } from '../support/clouds/captured-logger';
import { startEcrCloud, type EcrCloud } from '../support/clouds/ecr-cloud';
import { pullBlob, pullImage, pushImage } from '../support/clouds/port-client';

/** Token lifetime while a test waits for expiry; other tests get AWS's 12 hours. */
const SHORT_TTL_MS = 1000;

describe('ecr backend against an ECR stand-in', () => {
  let cloud: EcrCloud;
  let image: BuiltImage;
  const dir = tempDir('ecr-image');
  const log = captureLogger();
  const opened: Registry[] = [];
  const backend = (overrides: Record<string, unknown> = {}, name = 'ecr-test', clock?: TestClock): Registry => {
    const registry = createEcrRegistry(name, ecrConfig(cloud, overrides), log.logger, { clock: clock?.now });
    opened.push(registry);
    return registry;
  };

  before(async () => {
    cloud = await startEcrCloud({ pageSize: 2 });
    image = buildMultiArchImage(dir.path, { layerBytes: 4096 });
    // What the tests read: team/app (each test pushes what it changes).
    await pushImage(backend({}, 'ecr-setup'), 'team/app', image);
  });
  after(async () => {
    for (const r of opened) await r.close();
    await cloud.stop();
    dir.remove();
  });

  it('creates a missing repository on the first push, once, and pulls the image back', async () => {
    const registry = backend();
    const created = (): number => cloud.controlPlane.calls.CreateRepository ?? 0;
    const before = created();
    assert.equal(cloud.controlPlane.repositories.has('team/new'), false);
    await pushImage(registry, 'team/new', image);
    assert.equal(cloud.controlPlane.repositories.has('team/new'), true);
    assert.equal(created() - before, 1, 'one CreateRepository for many concurrent-able pushes');
    await pushImage(registry, 'team/new', image);
    assert.equal(created() - before, 1, 'the repository is remembered');
    assert.equal(await pullImage(registry, 'team/new', image.tag), image.index.digest);
    assert.ok(cloud.storage.requests.length > 0, 'blobs came from presigned storage');
    assert.equal(cloud.storage.authorizationSeen, false, 'storage never saw an Authorization header');
  });

  it('tolerates a repository that already exists (another replica made it)', async () => {
    cloud.controlPlane.repositories.set('team/existing', { createdAt: Date.now() / 1000 });
    const registry = backend();
    await pushImage(registry, 'team/existing', image);
    assert.equal(await pullImage(registry, 'team/existing', image.tag), image.index.digest);
  });

  it('a mount ECR ignores (202, BLOB_MOUNTING off) is reported as not mounted, after creating the target', async () => {
    const registry = backend();
    assert.equal(await registry.mountBlob('team/mounted', image.blobs[0]!.digest, 'team/app'), false);
    assert.equal(cloud.controlPlane.repositories.has('team/mounted'), true);
  });

  it('does not create repositories when createRepositories is false: the push fails NAME_UNKNOWN', async () => {
    const before = cloud.controlPlane.calls.CreateRepository ?? 0;
    const registry = backend({ createRepositories: false });
    await assert.rejects(pushImage(registry, 'team/nocreate', image), (err: unknown) => isOciError(err) && err.code === 'NAME_UNKNOWN');
    assert.equal(cloud.controlPlane.calls.CreateRepository ?? 0, before);
  });

  it('100 concurrent pulls while the token expires make exactly one GetAuthorizationToken call', async () => {
    const clock = new TestClock();
    const registry = backend({}, 'ecr-test', clock);
    const layer = image.blobs[1]!;
    cloud.controlPlane.tokenTtlMs = SHORT_TTL_MS;
    await pullBlob(registry, 'team/app', layer.digest);
    cloud.controlPlane.tokenTtlMs = 12 * 3600_000; // the replacement lasts, however slow the burst
    clock.advance(SHORT_TTL_MS);
    const before = cloud.controlPlane.calls.GetAuthorizationToken ?? 0;
    await Promise.all(Array.from({ length: 100 }, () => pullBlob(registry, 'team/app', layer.digest)));
    assert.equal((cloud.controlPlane.calls.GetAuthorizationToken ?? 0) - before, 1);
  });

  it('a token ECR calls expired (403 denied) is refetched once and the request succeeds', async () => {
    const clock = new TestClock();
    const registry = backend({}, 'ecr-test', clock);
    await pullBlob(registry, 'team/app', image.blobs[0]!.digest);
    // ECR expires the token while Gantry still believes it lives for hours (clocks disagree).
    cloud.controlPlane.expireIssued();
    clock.advance(1100); // older than the "just fetched" window, so the 403 triggers a refetch
    const before = cloud.controlPlane.calls.GetAuthorizationToken ?? 0;
    const manifest = await registry.getManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES);
    assert.equal(manifest.digest, image.index.digest);
    assert.equal((cloud.controlPlane.calls.GetAuthorizationToken ?? 0) - before, 1);
  });

  it('lists the catalog through every DescribeRepositories page, sorted and paginated', async () => {
    for (const name of ['zeta/svc', 'alpha/svc', 'mid/svc']) cloud.controlPlane.repositories.set(name, { createdAt: 0 });
    const registry = backend();
    const all = await registry.listRepositories!({});
    assert.deepEqual(all.items, [...all.items].sort());
    assert.ok(['alpha/svc', 'mid/svc', 'team/app', 'zeta/svc'].every((n) => all.items.includes(n)));
    const first = await registry.listRepositories!({ n: 2 });
    assert.deepEqual(first.items, all.items.slice(0, 2));
    const second = await registry.listRepositories!({ n: 2, last: first.next });
    assert.deepEqual(second.items, all.items.slice(2, 4));
  });

  it('control-plane throttling is retried, then surfaced as TOOMANYREQUESTS with Retry-After', async () => {
    const registry = backend({ retries: 1 });
    cloud.controlPlane.throttle.arm(1);
    assert.ok((await registry.listRepositories!({})).items.length > 0, 'one throttled call is retried');
    cloud.controlPlane.throttle.arm(2);
    await assert.rejects(registry.listRepositories!({}), (err: unknown) =>
      isOciError(err) && err.code === 'TOOMANYREQUESTS' && err.status === 429 && err.headers['retry-after'] !== undefined && err.message.includes('ecr-test'));
    cloud.controlPlane.throttle.arm(0);
  });

  it('data-plane 429 is retried after Retry-After, then surfaced as TOOMANYREQUESTS', async () => {
    const registry = backend({ retries: 1 });
    await registry.statManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES);
    cloud.front.throttle.arm(1);
    assert.equal((await registry.statManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES)).digest, image.index.digest);
    cloud.front.throttle.arm(2);
    await assert.rejects(registry.statManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES), (err: unknown) =>
      isOciError(err) && err.code === 'TOOMANYREQUESTS' && err.headers['retry-after'] === '1');
    cloud.front.throttle.arm(0);
  });

  it('revoked AWS credentials give UNAUTHORIZED naming the backend, and status shows the error', async () => {
    const key = { accessKeyId: 'AKIAGANTRYREVOKED01', secretAccessKey: 'revoked-secret-b41d' };
    cloud.controlPlane.addAccessKey(key.accessKeyId);
    const clock = new TestClock();
    const registry = backend({ credentials: key }, 'ecr-revoked', clock);
    await pullBlob(registry, 'team/app', image.blobs[0]!.digest);
    assert.equal((await registry.status()).credentials?.state, 'valid');
    assert.ok((await registry.status()).credentials?.validUntil);
    cloud.controlPlane.revokeAccessKey(key.accessKeyId);
    clock.advance(1100); // older than the "just fetched" window, so the 401 triggers a refetch
    await assert.rejects(registry.getManifest('team/app', image.tag, MANIFEST_MEDIA_TYPES), (err: unknown) =>
      isOciError(err) && err.code === 'UNAUTHORIZED' && err.status === 401 && err.message.includes('ecr-revoked'));
    const status = await registry.status();
    assert.equal(status.credentials?.state, 'error');
    assert.match(status.credentials?.lastError ?? '', /UnrecognizedClientException/);
    assert.equal(JSON.stringify(status).includes(key.secretAccessKey), false);
  });

  it('never logs a credential', () => {
    const text = log.text();
    assert.ok(text.length > 0, 'the backends logged something');
    for (const secret of [cloud.credentials.secretAccessKey, 'revoked-secret-b41d', ...cloud.controlPlane.issuedPasswords()]) {
      assert.equal(text.includes(secret), false, 'a secret appeared in the logs');
      assert.equal(text.includes(Buffer.from(`AWS:${secret}`).toString('base64')), false, 'an encoded token appeared in the logs');
    }
  });
});
