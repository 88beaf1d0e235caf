import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cosignKeyPair, cosignSign, type CosignKey, overHttp, type SignaturePusher, type SignedSubject } from '../support/cosign';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { notationIdentity, notationSign, type NotationIdentity } from '../support/notation';
import { buildMultiArchImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir, waitFor } from '../support/temp';
import { type Blob, imageManifest, randomBlob, sha256, V2Client } from '../support/v2-client';

/** The backend the suite's gateway routes every name to: its config, and how to stop what it started. */
export interface AdmissionBackend {
  config: Record<string, unknown>;
  stop(): Promise<void>;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT_ALL = [OCI_MANIFEST, DOCKER_MANIFEST, 'application/vnd.oci.image.index.v1+json'].join(', ');

interface OciErrorBody {
  errors: { code: string; message: string }[];
}

/**
 * Pull admission through a real gateway process in front of one backend: the same policies, the
 * same pulls and the same answers whatever the backend is.
 */
export function admissionSuite(label: string, startBackend: () => Promise<AdmissionBackend>): void {
  describe(`pull admission: ${label}`, () => {
    const dir = tempDir('admission');
    let backend: AdmissionBackend;
    let gateway: GatewayProcess;
    let client: V2Client;
    let signer: SignaturePusher;
    let release: CosignKey;
    let intruder: CosignKey;
    let notary: NotationIdentity;
    let stranger: NotationIdentity;

    before(async () => {
      release = cosignKeyPair(dir.path, 'release');
      intruder = cosignKeyPair(dir.path, 'intruder');
      notary = notationIdentity(dir.path, 'notary-release');
      stranger = notationIdentity(dir.path, 'notary-stranger');
      backend = await startBackend();
      gateway = await startGateway({
        backends: { target: backend.config },
        routes: [{ prefix: '', backend: 'target' }],
        policies: [
          { name: 'prod-signed', repositories: ['signed/**'], requireSignature: { keys: [release.publicKeyPath, { name: 'notary', file: notary.certificatePath }] } },
          { name: 'any-signature', repositories: ['presence/**'], requireSignature: { formats: ['cosign'] } },
          { name: 'no-latest', repositories: ['tags/**'], denyTags: ['latest', 'dev-*'] },
          { name: 'pinned', repositories: ['pinned/**'], requireDigest: true },
          { name: 'oci-only', repositories: ['types/**'], mediaTypes: [OCI_MANIFEST, 'application/vnd.oci.image.index.v1+json'] },
          { name: 'arm-only', repositories: ['platforms/**'], platforms: ['linux/arm64'] },
        ],
      });
      client = new V2Client(gateway.url);
      signer = overHttp(client);
    });
    after(async () => {
      await gateway?.stop();
      await backend?.stop();
      dir.remove();
    });

    /** Pushes a one-layer image; its config names `architecture`. */
    async function pushImage(repository: string, tag: string, options: { architecture?: string; mediaType?: string } = {}): Promise<SignedSubject> {
      const config: Blob = { bytes: Buffer.from(JSON.stringify({ architecture: options.architecture ?? 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })), digest: '' };
      config.digest = sha256(config.bytes);
      const layer = randomBlob(2048);
      await client.pushBlob(repository, config);
      await client.pushBlob(repository, layer);
      const mediaType = options.mediaType ?? OCI_MANIFEST;
      const manifest = mediaType === OCI_MANIFEST ? imageManifest(config, [layer]) : dockerManifest(config, layer);
      const res = await client.pushManifest(repository, tag, manifest, mediaType);
      assert.equal(res.status, 201, `push ${repository}:${tag}: ${await res.text()}`);
      return { digest: manifest.digest, size: manifest.bytes.length, mediaType };
    }

    const get = (repository: string, reference: string): Promise<Response> =>
      client.request('GET', `/v2/${repository}/manifests/${reference}`, { headers: { accept: ACCEPT_ALL } });
    const head = (repository: string, reference: string): Promise<Response> =>
      client.request('HEAD', `/v2/${repository}/manifests/${reference}`, { headers: { accept: ACCEPT_ALL } });

    async function assertAdmitted(repository: string, reference: string, digest: string): Promise<void> {
      const res = await get(repository, reference);
      assert.equal(res.status, 200, `GET ${repository}:${reference}: ${await res.text()}`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      const headRes = await head(repository, reference);
      assert.equal(headRes.status, 200, `HEAD ${repository}:${reference}`);
    }

    /** GET and HEAD both 403 DENIED; the GET's message is returned. */
    async function assertDenied(repository: string, reference: string): Promise<string> {
      const res = await get(repository, reference);
      const text = await res.text();
      assert.equal(res.status, 403, `GET ${repository}:${reference} should be denied: ${text}`);
      const body = JSON.parse(text) as OciErrorBody;
      assert.equal(body.errors[0]?.code, 'DENIED', text);
      const headRes = await head(repository, reference);
      assert.equal(headRes.status, 403, `HEAD ${repository}:${reference} should be denied`);
      return body.errors[0]!.message;
    }

    describe('requireSignature with keys', () => {
      test('an image signed with cosign (the .sig tag) pulls, and the decision is audited', async () => {
        const image = await pushImage('signed/tag-form', 'v1');
        await cosignSign(signer, 'signed/tag-form', image, release, { form: 'tag' });
        await assertAdmitted('signed/tag-form', 'v1', image.digest);
        await assertAdmitted('signed/tag-form', image.digest, image.digest);
        await waitFor('the audit line of the admission', async () => logLines(gateway.logs).some((line) =>
          line.audit === true && line.event === 'admission' && line.decision === 'allow' && line.policy === 'prod-signed'
          && line.repository === 'signed/tag-form' && line.digest === image.digest && String(line.reason).includes('signed by key "release"')));
      });

      test('an image signed with cosign as an OCI 1.1 referrer pulls', async () => {
        const image = await pushImage('signed/referrer-form', 'v1');
        await cosignSign(signer, 'signed/referrer-form', image, release, { form: 'referrer' });
        await assertAdmitted('signed/referrer-form', 'v1', image.digest);
      });

      test('an image signed with notation (JWS, pinned certificate) pulls', async () => {
        const image = await pushImage('signed/notation', 'v1');
        await notationSign(signer, 'signed/notation', image, notary);
        await assertAdmitted('signed/notation', 'v1', image.digest);
      });

      test('an unsigned image is denied on GET and HEAD, naming the policy, the digest and the key; the denial is audited', async () => {
        const image = await pushImage('signed/unsigned', 'v1');
        const message = await assertDenied('signed/unsigned', 'v1');
        assert.equal(message, `policy "prod-signed": no valid signature for ${image.digest} by key "release" or "notary"`);
        await waitFor('the audit line of the denial', async () => logLines(gateway.logs).some((line) =>
          line.audit === true && line.event === 'admission' && line.decision === 'deny' && line.policy === 'prod-signed' && line.digest === image.digest));
      });

      test('an image signed by another key is denied', async () => {
        const image = await pushImage('signed/other-key', 'v1');
        await cosignSign(signer, 'signed/other-key', image, intruder, { form: 'tag' });
        await cosignSign(signer, 'signed/other-key', image, intruder, { form: 'referrer' });
        await notationSign(signer, 'signed/other-key', image, stranger);
        const message = await assertDenied('signed/other-key', 'v1');
        assert.match(message, /^policy "prod-signed": no valid signature for sha256:[0-9a-f]{64} by key "release" or "notary" \(/);
        assert.match(message, /cosign \.sig tag: does not verify with key "release" or "notary"/);
      });

      test('a signature whose payload names another digest is denied', async () => {
        const image = await pushImage('signed/other-digest', 'v1');
        const other = await pushImage('signed/other-digest', 'v2');
        await cosignSign(signer, 'signed/other-digest', image, release, { form: 'tag', payloadDigest: other.digest });
        await cosignSign(signer, 'signed/other-digest', image, release, { form: 'referrer', payloadDigest: other.digest });
        await notationSign(signer, 'signed/other-digest', image, notary, { payloadDigest: other.digest });
        const message = await assertDenied('signed/other-digest', 'v1');
        assert.ok(message.includes(`payload names ${other.digest}, not ${image.digest}`), message);
      });

      test('a tampered payload is denied', async () => {
        const image = await pushImage('signed/tampered', 'v1');
        await cosignSign(signer, 'signed/tampered', image, release, { form: 'tag', tamper: true });
        const message = await assertDenied('signed/tampered', 'v1');
        assert.ok(message.includes('cosign .sig tag: does not verify'), message);
      });

      test('an expired notation signature is denied', async () => {
        const image = await pushImage('signed/expired', 'v1');
        await notationSign(signer, 'signed/expired', image, notary, { expired: true });
        const message = await assertDenied('signed/expired', 'v1');
        assert.match(message, /notation referrer sha256:[0-9a-f]{64}: expired at /);
      });

      test('signature manifests stay pullable (cosign verify reads them)', async () => {
        const image = await pushImage('signed/sig-readable', 'v1');
        const tagSignature = await cosignSign(signer, 'signed/sig-readable', image, release, { form: 'tag' });
        const referrerSignature = await cosignSign(signer, 'signed/sig-readable', image, intruder, { form: 'referrer' });
        await assertAdmitted('signed/sig-readable', `${image.digest.replace(':', '-')}.sig`, tagSignature);
        await assertAdmitted('signed/sig-readable', referrerSignature, referrerSignature);
        // Judged on the content: an image under a signature-looking tag is checked like any other.
        const impostor = await pushImage('signed/sig-readable', `sha256-${'e'.repeat(64)}.sig`);
        assert.match(await assertDenied('signed/sig-readable', `sha256-${'e'.repeat(64)}.sig`), new RegExp(`no valid signature for ${impostor.digest}`));
      });

      test('a multi-arch index signed by its own digest pulls with skopeo, every platform included', async () => {
        const layout = tempDir('admission-index');
        try {
          const image = buildMultiArchImage(layout.path, { tag: 'v1' });
          const at = (repository: string): string => `docker://${gateway.host}/${repository}:v1`;
          await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, at('signed/multi')]);
          await assert.rejects(skopeo(['copy', '--all', at('signed/multi'), `oci:${join(layout.path, 'denied')}:v1`]), /denied/i);
          const index = { digest: image.index.digest, size: image.index.bytes.length, mediaType: image.index.mediaType };
          await cosignSign(signer, 'signed/multi', index, release, { form: 'tag' });
          await skopeo(['copy', '--all', at('signed/multi'), `oci:${join(layout.path, 'pulled')}:v1`]);
          const inspect = JSON.parse((await skopeo(['inspect', '--override-arch', 'arm64', at('signed/multi')])).stdout) as { Digest: string };
          assert.equal(inspect.Digest, image.index.digest);
        } finally {
          layout.remove();
        }
      });

      test('a signature of one child does not admit its index', async () => {
        const layout = tempDir('admission-child');
        try {
          const image = buildMultiArchImage(layout.path, { tag: 'v1' });
          await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, `docker://${gateway.host}/signed/child-only:v1`]);
          const child = image.manifests[0]!;
          await cosignSign(signer, 'signed/child-only', { digest: child.digest, size: child.bytes.length, mediaType: child.mediaType }, release, { form: 'tag' });
          await assertAdmitted('signed/child-only', child.digest, child.digest);
          await assertDenied('signed/child-only', 'v1');
        } finally {
          layout.remove();
        }
      });
    });

    test('requireSignature without keys: any cosign signature naming the digest admits, none denies', async () => {
      const signed = await pushImage('presence/app', 'signed');
      const unsigned = await pushImage('presence/app', 'unsigned');
      await cosignSign(signer, 'presence/app', signed, intruder, { form: 'tag' });
      await assertAdmitted('presence/app', 'signed', signed.digest);
      assert.equal(await assertDenied('presence/app', 'unsigned'), `policy "any-signature": no signature for ${unsigned.digest}`);
    });

    test('denyTags: denied tags by glob, other tags and digests pull', async () => {
      const image = await pushImage('tags/app', 'latest');
      await pushImage('tags/app', 'dev-42');
      await pushImage('tags/app', '1.0');
      assert.equal(await assertDenied('tags/app', 'latest'), 'policy "no-latest": tag "latest" is denied (denyTags "latest")');
      assert.equal(await assertDenied('tags/app', 'dev-42'), 'policy "no-latest": tag "dev-42" is denied (denyTags "dev-*")');
      await assertAdmitted('tags/app', image.digest, image.digest);
      const other = await get('tags/app', '1.0');
      assert.equal(other.status, 200);
    });

    test('requireDigest: a tag is denied, the digest pulls, the cosign .sig tag stays pullable; other repositories are not affected', async () => {
      const image = await pushImage('pinned/app', 'v1');
      assert.equal(await assertDenied('pinned/app', 'v1'), 'policy "pinned": tag "v1" is not allowed: pull by digest (name@sha256:…)');
      await assertAdmitted('pinned/app', image.digest, image.digest);
      const signature = await cosignSign(signer, 'pinned/app', image, release, { form: 'tag' });
      await assertAdmitted('pinned/app', `${image.digest.replace(':', '-')}.sig`, signature);
      const free = await pushImage('free/app', 'v1');
      await assertAdmitted('free/app', 'v1', free.digest);
    });

    test('mediaTypes: a Docker schema 2 manifest is denied where only OCI types are allowed', async () => {
      const oci = await pushImage('types/app', 'oci');
      await pushImage('types/app', 'docker', { mediaType: DOCKER_MANIFEST });
      await assertAdmitted('types/app', 'oci', oci.digest);
      assert.equal(await assertDenied('types/app', 'docker'), `policy "oci-only": media type ${DOCKER_MANIFEST} is not allowed`);
    });

    test('platforms: the config blob decides for an image, any allowed child for an index', async () => {
      const arm = await pushImage('platforms/app', 'arm', { architecture: 'arm64' });
      await pushImage('platforms/app', 'amd', { architecture: 'amd64' });
      await assertAdmitted('platforms/app', 'arm', arm.digest);
      assert.equal(await assertDenied('platforms/app', 'amd'), 'policy "arm-only": platform linux/amd64 is not allowed');
      const layout = tempDir('admission-platforms');
      try {
        const image = buildMultiArchImage(layout.path, { tag: 'multi' });
        await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:multi`, `docker://${gateway.host}/platforms/app:multi`]);
        await assertAdmitted('platforms/app', 'multi', image.index.digest);
        const [amd64, arm64] = image.manifests;
        await assertAdmitted('platforms/app', arm64!.digest, arm64!.digest);
        assert.equal(await assertDenied('platforms/app', amd64!.digest), 'policy "arm-only": platform linux/amd64 is not allowed');
      } finally {
        layout.remove();
      }
    });
  });
}

function dockerManifest(config: Blob, layer: Blob): Blob {
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config.digest, size: config.bytes.length },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layer.digest, size: layer.bytes.length }],
  }));
  return { bytes, digest: sha256(bytes) };
}
