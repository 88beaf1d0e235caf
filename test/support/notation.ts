import { execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignaturePusher, SignedSubject } from './cosign';
import { requireTool } from './tools';
import { sha256 } from './v2-client';

/** A notation signing identity: an ECDSA P-256 key and its self-signed X.509 certificate (PEM file). */
export interface NotationIdentity {
  name: string;
  privateKey: KeyObject;
  certificatePath: string;
  certificateDer: string;
}

export function notationIdentity(dir: string, name: string): NotationIdentity {
  requireTool('openssl');
  const keyPath = join(dir, `${name}.key`);
  const certificatePath = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath,
    '-out', certificatePath, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=codeSigning'], { stdio: 'ignore' });
  const pem = readFileSync(certificatePath, 'utf8');
  return {
    name,
    privateKey: createPrivateKey(readFileSync(keyPath)),
    certificatePath,
    certificateDer: pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
  };
}

export interface NotationSignOptions {
  /** The digest the payload names (default: the subject's). */
  payloadDigest?: string;
  /** An `io.cncf.notary.expiry` in the past. */
  expired?: boolean;
}

/**
 * Signs `subject` the way `notation sign` does with the JWS envelope: a Notary Project payload
 * (`targetArtifact`), an ES256 JWS (JSON serialization) with the certificate chain in `x5c`,
 * pushed as a referrer of artifactType `application/vnd.cncf.notary.signature`. Returns the
 * signature manifest's digest.
 */
export async function notationSign(client: SignaturePusher, repository: string, subject: SignedSubject, identity: NotationIdentity, options: NotationSignOptions = {}): Promise<string> {
  const now = new Date();
  const header: Record<string, unknown> = {
    alg: 'ES256',
    crit: ['io.cncf.notary.signingScheme', ...(options.expired ? ['io.cncf.notary.expiry'] : [])],
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': now.toISOString(),
    ...(options.expired ? { 'io.cncf.notary.expiry': new Date(now.getTime() - 60_000).toISOString() } : {}),
  };
  const payload = { targetArtifact: { mediaType: subject.mediaType, digest: options.payloadDigest ?? subject.digest, size: subject.size } };
  const protectedPart = Buffer.from(JSON.stringify(header)).toString('base64url');
  const payloadPart = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${protectedPart}.${payloadPart}`), { key: identity.privateKey, dsaEncoding: 'ieee-p1363' });
  const envelope = Buffer.from(JSON.stringify({
    payload: payloadPart,
    protected: protectedPart,
    header: { x5c: [identity.certificateDer], 'io.cncf.notary.signingAgent': 'gantry-tests' },
    signature: signature.toString('base64url'),
  }));
  const envelopeBlob = { bytes: envelope, digest: sha256(envelope) };
  const empty = Buffer.from('{}');
  await client.pushBlob(repository, envelopeBlob);
  await client.pushBlob(repository, { bytes: empty, digest: sha256(empty) });
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.cncf.notary.signature',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
    layers: [{ mediaType: 'application/jose+json', digest: envelopeBlob.digest, size: envelope.length }],
    subject,
    annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' },
  }));
  const digest = sha256(bytes);
  await client.pushManifest(repository, digest, { bytes, digest }, 'application/vnd.oci.image.manifest.v1+json');
  return digest;
}
