import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cosignKeyPair, cosignSign, overHttp, type CosignKey } from '../support/cosign';
import { tempDir } from '../support/temp';
import { imageManifest, jsonOf, randomBlob, V2Client } from '../support/v2-client';
import { basic, startAuthGateway, usersConfig, type AuthGateway } from './access-fixtures';

/**
 * Rules and pull policies together, with auth on: what explain says a pull gets is what the pull
 * gets, whether the rules or a policy decide.
 */
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Explained {
  decision: 'allow' | 'deny';
  reason: string;
  admission?: { digest: string; decision: { allowed: boolean; message?: string; policies: { name: string; allowed: boolean }[] } };
}

const keys = tempDir('explain-admission-keys');
let release: CosignKey;
let auth: AuthGateway;
let alice: V2Client;
let manifest: ReturnType<typeof imageManifest>;

before(async () => {
  release = cosignKeyPair(keys.path, 'release');
  auth = await startAuthGateway(
    {
      users: usersConfig({ alice: ['dev'] }),
      rules: [
        { name: 'dev-rw', subjects: ['group:dev'], repositories: ['prod/**'], actions: ['pull', 'push'] },
        { name: 'operators', subjects: ['user:alice'], repositories: ['*'], actions: ['admin'] },
      ],
    },
    { policies: [{ name: 'prod-signed', repositories: ['prod/**'], requireSignature: { keys: [release.publicKeyPath] } }] },
  );
  alice = new V2Client(auth.gateway.url, basic('alice'));
  const config = randomBlob(200);
  const layer = randomBlob(2000);
  await alice.pushBlob('prod/app', config);
  await alice.pushBlob('prod/app', layer);
  manifest = imageManifest(config, [layer]);
  assert.equal((await alice.pushManifest('prod/app', 'v1', manifest, OCI_MANIFEST)).status, 201);
});
after(async () => {
  await auth?.stop();
  keys.remove();
});

async function explain(subject: string, repository: string, reference: string): Promise<Explained> {
  const res = await alice.request('POST', '/admin/v1/access/explain', { body: JSON.stringify({ subject, action: 'pull', repository, reference }) });
  assert.equal(res.status, 200, await res.clone().text());
  return jsonOf<Explained>(res);
}

test('an unsigned image: explain says the policy denies it, and the pull is 403 with the same reason', async () => {
  const explained = await explain('user:alice', 'prod/app', 'v1');
  assert.equal(explained.decision, 'deny');
  assert.equal(explained.admission?.digest, manifest.digest);
  assert.deepEqual(explained.admission?.decision.policies.map((p) => [p.name, p.allowed]), [['prod-signed', false]]);
  const pulled = await alice.request('GET', '/v2/prod/app/manifests/v1', { headers: { accept: OCI_MANIFEST } });
  assert.equal(pulled.status, 403);
  const body = await jsonOf<{ errors: { code: string; message: string }[] }>(pulled);
  assert.equal(body.errors[0]!.code, 'DENIED');
  assert.equal(body.errors[0]!.message, explained.reason);
  assert.match(explained.reason, /^policy "prod-signed": .*sha256:[0-9a-f]{64}.*"release"/);
});

test('once signed by the release key, explain and the pull both admit it', async () => {
  await cosignSign(overHttp(alice), 'prod/app', { digest: manifest.digest, size: manifest.bytes.length, mediaType: OCI_MANIFEST }, release, { form: 'tag' });
  const explained = await explain('user:alice', 'prod/app', 'v1');
  assert.equal(explained.decision, 'allow', explained.reason);
  assert.equal(explained.admission?.decision.allowed, true);
  const pulled = await alice.request('GET', '/v2/prod/app/manifests/v1', { headers: { accept: OCI_MANIFEST } });
  assert.equal(pulled.status, 200);
  assert.equal(pulled.headers.get('docker-content-digest'), manifest.digest);
});

test('a subject the rules deny: explain says so before any policy, and the pull is refused', async () => {
  const explained = await explain('user:bob', 'prod/app', 'v1');
  assert.equal(explained.decision, 'deny');
  assert.equal(explained.reason, 'no rule allows it');
  const pulled = await new V2Client(auth.gateway.url, basic('bob')).request('GET', '/v2/prod/app/manifests/v1', { headers: { accept: OCI_MANIFEST } });
  assert.equal(pulled.status, 403);
});
