import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Blob, sha256, type V2Client } from './v2-client';

/** A cosign key pair as `cosign generate-key-pair` makes one: ECDSA P-256, the public half as an SPKI PEM `<name>.pub`. */
export interface CosignKey {
  name: string;
  privateKey: KeyObject;
  publicKeyPath: string;
}

export function cosignKeyPair(dir: string, name: string): CosignKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKeyPath = join(dir, `${name}.pub`);
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { name, privateKey, publicKeyPath };
}

/** Where signing helpers push: the gateway over HTTP (`overHttp`), or a Registry port directly. */
export interface SignaturePusher {
  pushBlob(repository: string, blob: Blob): Promise<void>;
  pushManifest(repository: string, reference: string, manifest: Blob, mediaType: string): Promise<void>;
}

export function overHttp(client: V2Client): SignaturePusher {
  return {
    pushBlob: (repository, blob) => client.pushBlob(repository, blob),
    async pushManifest(repository, reference, manifest, mediaType) {
      const res = await client.pushManifest(repository, reference, manifest, mediaType);
      assert.equal(res.status, 201, `push ${repository}:${reference}: ${await res.text()}`);
    },
  };
}

/** The manifest being signed, as a descriptor. */
export interface SignedSubject {
  digest: string;
  size: number;
  mediaType: string;
}

export interface CosignSignOptions {
  /** `tag`: cosign's default `sha256-<hex>.sig` tag; `referrer`: an OCI 1.1 referrer (`--registry-referrers-mode=oci-1-1`). */
  form: 'tag' | 'referrer';
  /** The digest the payload names (default: the subject's): a signature for another manifest. */
  payloadDigest?: string;
  /** Change the payload after signing it: the signature no longer verifies. */
  tamper?: boolean;
}

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

/**
 * Signs `subject` in `repository` the way `cosign sign --key` does: a simple-signing payload
 * naming the digest, an ECDSA P-256 signature over it (ASN.1 DER, SHA-256, base64 in the layer's
 * `dev.cosignproject.cosign/signature` annotation), pushed as a signature manifest. Returns the
 * signature manifest's digest.
 */
export async function cosignSign(client: SignaturePusher, repository: string, subject: SignedSubject, key: CosignKey, options: CosignSignOptions): Promise<string> {
  const signedDigest = options.payloadDigest ?? subject.digest;
  let payload = Buffer.from(JSON.stringify({
    critical: {
      identity: { 'docker-reference': repository },
      image: { 'docker-manifest-digest': signedDigest },
      type: 'cosign container image signature',
    },
    optional: null,
  }));
  const signature = sign('sha256', payload, key.privateKey).toString('base64');
  if (options.tamper) payload = Buffer.from(payload.toString().replace(repository, `${repository}-tampered`));
  const payloadBlob = { bytes: payload, digest: sha256(payload) };
  await client.pushBlob(repository, payloadBlob);
  const layer = { mediaType: SIMPLE_SIGNING, digest: payloadBlob.digest, size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': signature } };
  let manifest: Record<string, unknown>;
  if (options.form === 'tag') {
    // cosign's `.sig` image: an OCI image whose single layer is the payload.
    const config = Buffer.from(JSON.stringify({
      architecture: '', os: '', config: {}, created: '0001-01-01T00:00:00Z',
      rootfs: { type: 'layers', diff_ids: [payloadBlob.digest] },
    }));
    const configBlob = { bytes: config, digest: sha256(config) };
    await client.pushBlob(repository, configBlob);
    manifest = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configBlob.digest, size: config.length },
      layers: [layer],
    };
  } else {
    const empty = Buffer.from('{}');
    await client.pushBlob(repository, { bytes: empty, digest: sha256(empty) });
    manifest = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
      layers: [layer],
      subject,
    };
  }
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(bytes);
  const tag = `${subject.digest.replace(':', '-')}.sig`;
  await client.pushManifest(repository, options.form === 'tag' ? tag : digest, { bytes, digest }, 'application/vnd.oci.image.manifest.v1+json');
  return digest;
}
