import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { PullAdmission } from '#access';
import { ConfigError, configSchema, type PolicyConfig } from '#config';
import { isOciError, parseManifest } from '#oci';
import { createBackend, type Registry } from '#registry';
import { cosignKeyPair, cosignSign, type CosignKey, type SignaturePusher, type SignedSubject } from '../support/cosign';
import { notationIdentity } from '../support/notation';
import { tempDir } from '../support/temp';
import { TestClock } from '../support/test-clock';
import { imageManifest, randomBlob, sha256 } from '../support/v2-client';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes straight into a Registry port, as another client of the upstream would (the gateway never sees it). */
function intoRegistry(registry: Registry): SignaturePusher {
  return {
    pushBlob: (repository, blob) => registry.putBlob(repository, blob.digest, Readable.from([blob.bytes]), blob.bytes.length),
    async pushManifest(repository, reference, manifest, mediaType) {
      await registry.putManifest(repository, reference, { ...manifest, mediaType }, parseManifest(manifest.bytes, mediaType).subject);
    },
  };
}

function policiesOf(policies: unknown[]): PolicyConfig[] {
  return configSchema.parse({ backends: { b: { type: 'local', path: '/unused' } }, routes: [{ prefix: '', backend: 'b' }], policies }).policies;
}

describe('PullAdmission on a real local store: explain, remembered results, keys', () => {
  const dir = tempDir('admission-explain');
  let registry: Registry;
  let pusher: SignaturePusher;
  let release: CosignKey;

  before(async () => {
    release = cosignKeyPair(dir.path, 'release');
    registry = await createBackend('local', { type: 'local', path: join(dir.path, 'store'), delete: true, uploadExpirySeconds: 3600 } as never, pino({ level: 'silent' }));
    pusher = intoRegistry(registry);
  });
  after(async () => {
    await registry?.close();
    dir.remove();
  });

  async function pushImage(repository: string, tag: string): Promise<SignedSubject> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const configBlob = { bytes: config, digest: sha256(config) };
    const layer = randomBlob(512);
    await pusher.pushBlob(repository, configBlob);
    await pusher.pushBlob(repository, layer);
    const manifest = imageManifest(configBlob, [layer]);
    await pusher.pushManifest(repository, tag, manifest, OCI_MANIFEST);
    return { digest: manifest.digest, size: manifest.bytes.length, mediaType: OCI_MANIFEST };
  }

  const signedPolicies = (): PolicyConfig[] => policiesOf([
    { name: 'prod-signed', repositories: ['prod/**'], requireSignature: { keys: [release.publicKeyPath] } },
    { name: 'no-latest', repositories: ['prod/**'], denyTags: ['latest'] },
  ]);

  /** What the manifests handler does on a GET: resolve, then admit what it got. */
  async function pull(admission: PullAdmission, repository: string, reference: string) {
    const manifest = await registry.getManifest(repository, reference, [OCI_MANIFEST]);
    return admission.admit({ repository, reference, digest: manifest.digest, mediaType: manifest.mediaType, manifest: manifest.bytes }, registry, repository);
  }

  test('explain answers exactly what the pull gets, allowed or denied, with every policy that applied', async () => {
    const admission = PullAdmission.fromConfig(signedPolicies());
    const signed = await pushImage('prod/app', 'v1');
    const unsigned = await pushImage('prod/app', 'latest');
    await cosignSign(pusher, 'prod/app', signed, release, { form: 'tag' });
    for (const reference of ['v1', signed.digest, 'latest', unsigned.digest]) {
      const explained = await admission.explain('prod/app', reference, registry, 'prod/app');
      const pulled = await pull(admission, 'prod/app', reference);
      assert.deepEqual(explained.decision, pulled, reference);
      assert.equal(explained.digest, reference === 'v1' || reference === signed.digest ? signed.digest : unsigned.digest);
    }
    const latest = await admission.explain('prod/app', 'latest', registry, 'prod/app');
    assert.deepEqual(latest.decision.policies.map((p) => [p.name, p.allowed]), [['prod-signed', false], ['no-latest', false]]);
    assert.equal(latest.decision.message, `policy "prod-signed": no valid signature for ${unsigned.digest} by key "release"`);
    const v1 = await admission.explain('prod/app', 'v1', registry, 'prod/app');
    assert.equal(v1.decision.allowed, true);
    assert.match(v1.decision.policies[0]!.reason, /^signed by key "release" \(cosign \.sig tag\)$/);
    await assert.rejects(admission.explain('prod/app', 'nope', registry, 'prod/app'), (err: unknown) => isOciError(err) && err.code === 'MANIFEST_UNKNOWN');
  });

  test('a repository no policy names is admitted without any check', async () => {
    const admission = PullAdmission.fromConfig(signedPolicies());
    const image = await pushImage('dev/app', 'latest');
    assert.equal(admission.appliesTo('dev/app'), false);
    assert.deepEqual(await pull(admission, 'dev/app', 'latest'), { allowed: true, policies: [] });
    assert.equal(image.digest.startsWith('sha256:'), true);
  });

  test('"unsigned" is remembered only briefly: a signature pushed straight upstream admits once invalidMs has passed', async () => {
    const clock = new TestClock();
    const admission = PullAdmission.fromConfig(signedPolicies(), { now: clock.now, signatureCache: { validMs: 300_000, invalidMs: 10_000 } });
    const image = await pushImage('prod/late', 'v1');
    assert.equal((await pull(admission, 'prod/late', 'v1')).allowed, false);
    await cosignSign(pusher, 'prod/late', image, release, { form: 'referrer' });
    assert.equal((await pull(admission, 'prod/late', 'v1')).allowed, false, 'the denial is remembered for invalidMs');
    clock.advance(10_001);
    assert.equal((await pull(admission, 'prod/late', 'v1')).allowed, true);
  });

  test('a signature pushed through the gateway drops the remembered denial at once', async () => {
    const admission = PullAdmission.fromConfig(signedPolicies());
    const image = await pushImage('prod/now', 'v1');
    assert.equal((await pull(admission, 'prod/now', 'v1')).allowed, false);
    await cosignSign(pusher, 'prod/now', image, release, { form: 'tag' });
    admission.manifestPushed('prod/now', `${image.digest.replace(':', '-')}.sig`, undefined);
    assert.equal((await pull(admission, 'prod/now', 'v1')).allowed, true);
  });

  test('a valid signature is remembered for validMs, then looked up again', async () => {
    const clock = new TestClock();
    const admission = PullAdmission.fromConfig(signedPolicies(), { now: clock.now, signatureCache: { validMs: 60_000, invalidMs: 10_000 } });
    const image = await pushImage('prod/revoked', 'v1');
    await cosignSign(pusher, 'prod/revoked', image, release, { form: 'tag' });
    assert.equal((await pull(admission, 'prod/revoked', 'v1')).allowed, true);
    await registry.deleteManifest('prod/revoked', `${image.digest.replace(':', '-')}.sig`);
    assert.equal((await pull(admission, 'prod/revoked', 'v1')).allowed, true, 'remembered');
    clock.advance(60_001);
    assert.equal((await pull(admission, 'prod/revoked', 'v1')).allowed, false);
  });

  test('the same digest in another repository needs its own signature there', async () => {
    const admission = PullAdmission.fromConfig(signedPolicies());
    const image = await pushImage('prod/one', 'v1');
    await cosignSign(pusher, 'prod/one', image, release, { form: 'tag' });
    assert.equal((await pull(admission, 'prod/one', 'v1')).allowed, true);
    const manifest = await registry.getManifest('prod/one', image.digest, [OCI_MANIFEST]);
    const parsed = parseManifest(manifest.bytes, OCI_MANIFEST);
    for (const blob of parsed.blobs) await registry.mountBlob('prod/two', blob.digest, 'prod/one');
    await pusher.pushManifest('prod/two', 'same', { bytes: manifest.bytes, digest: image.digest }, OCI_MANIFEST);
    assert.equal((await pull(admission, 'prod/two', 'same')).allowed, false);
  });

  describe('keys are loaded and checked at start', () => {
    const keyEntry = (entries: unknown[]) => () => PullAdmission.fromConfig(policiesOf([{ name: 'p', repositories: ['**'], requireSignature: { keys: entries } }]));

    test('a path is named by its file name; a certificate gives its public key; an explicit name wins', () => {
      const notary = notationIdentity(dir.path, 'notary');
      const admission = keyEntry([release.publicKeyPath, notary.certificatePath, { name: 'ops', file: release.publicKeyPath }])();
      const keys = admission.policiesFor('x')[0]!.keys;
      assert.deepEqual(keys.map((k) => k.name), ['release', 'notary', 'ops']);
      assert.equal(keys[1]!.key.asymmetricKeyType, 'ec');
      const broken = join(dir.path, 'broken.crt');
      writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
      assert.throws(keyEntry([release.publicKeyPath, broken]), (err: Error) =>
        err instanceof ConfigError && err.message.startsWith('policies[0].requireSignature.keys[1] (') && err.message.includes('not a valid PEM public key or certificate'));
    });

    test('a missing file, a private key, a non-PEM file and a duplicate name are ConfigErrors naming the key', () => {
      const privateKey = join(dir.path, 'private.pem');
      writeFileSync(privateKey, release.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const garbage = join(dir.path, 'garbage.pub');
      writeFileSync(garbage, 'ssh-ed25519 AAAA not a pem key');
      const cases: [unknown[], RegExp][] = [
        [[join(dir.path, 'missing.pub')], /^policies\[0\]\.requireSignature\.keys\[0\]: cannot read .*missing\.pub: ENOENT$/],
        [[release.publicKeyPath, privateKey], /^policies\[0\]\.requireSignature\.keys\[1\] \(.*\): holds a private key/],
        [[garbage], /^policies\[0\]\.requireSignature\.keys\[0\] \(.*\): not a PEM public key/],
        [[release.publicKeyPath, { name: 'release', file: release.publicKeyPath }], /^policies\[0\]\.requireSignature\.keys\[1\]: duplicate key name "release"$/],
      ];
      for (const [entries, expected] of cases) {
        assert.throws(keyEntry(entries), (err: Error) => err instanceof ConfigError && expected.test(err.message), String(expected));
      }
    });
  });
});
