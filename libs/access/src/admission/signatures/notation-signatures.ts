import { constants, type KeyObject, verify } from 'node:crypto';
import { type Descriptor, isPlainObject } from '#oci';
import type { AdmissionSource } from '../admission-source';
import { keyList } from './cosign-signatures';
import { invalidFinding, type SignatureFinding, validFinding } from './signature-finding';
import { Notation } from './signature-formats';
import type { SignatureKey } from './signature-keys';
import { problemOf, readReferrer, signatureReferrers, subjectProblem } from './signature-manifests';

/** Envelopes carry a certificate chain; a few KiB in practice. */
const MAX_ENVELOPE_BYTES = 1024 * 1024;

/** The JWS algorithms the Notary Project signature specification allows. */
const ALGORITHMS: Record<string, { hash: string; kind: 'ec' | 'rsa-pss'; saltLength?: number }> = {
  ES256: { hash: 'sha256', kind: 'ec' },
  ES384: { hash: 'sha384', kind: 'ec' },
  ES512: { hash: 'sha512', kind: 'ec' },
  PS256: { hash: 'sha256', kind: 'rsa-pss', saltLength: 32 },
  PS384: { hash: 'sha384', kind: 'rsa-pss', saltLength: 48 },
  PS512: { hash: 'sha512', kind: 'rsa-pss', saltLength: 64 },
};

/** Critical headers this verifier understands; any other in `crit` makes the envelope invalid. */
const UNDERSTOOD_CRITICAL = new Set(['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry', 'io.cncf.notary.authenticSigningTime']);

/**
 * Notary v2 (notation) signatures of `digest`: referrers of artifactType
 * `application/vnd.cncf.notary.signature` whose subject is exactly `digest`. A JWS envelope
 * (`application/jose+json`, JSON serialization) is valid when its payload's
 * `targetArtifact.digest` is `digest`, it has not expired, and (with keys) its signature verifies
 * with one of the pinned keys. A COSE envelope is reported as unsupported, so not valid.
 */
export async function findNotationSignatures(
  source: AdmissionSource,
  digest: string,
  keys: readonly SignatureKey[],
  referrers: readonly Descriptor[],
  now: number,
): Promise<SignatureFinding[]> {
  const findings: SignatureFinding[] = [];
  for (const referrer of signatureReferrers(referrers, Notation.ARTIFACT_TYPE)) {
    if (findings.some((f) => f.valid)) break;
    const where = `notation referrer ${referrer.digest}`;
    try {
      const parsed = await readReferrer(source, referrer);
      const problem = subjectProblem(parsed, digest);
      if (problem) {
        findings.push(invalidFinding(where, problem));
        continue;
      }
      const envelopes = parsed.blobs.slice(1);
      if (envelopes.length === 0) findings.push(invalidFinding(where, 'holds no signature envelope'));
      for (const envelope of envelopes) {
        if (envelope.mediaType === Notation.JWS_ENVELOPE) {
          const bytes = await source.smallBlob(envelope, MAX_ENVELOPE_BYTES);
          findings.push(judgeJws(bytes, digest, keys, now, where));
        } else {
          findings.push(invalidFinding(where, `unsupported envelope ${envelope.mediaType}`));
        }
        if (findings.at(-1)!.valid) break;
      }
    } catch (err) {
      findings.push(invalidFinding(where, problemOf(err)));
    }
  }
  return findings;
}

function judgeJws(bytes: Buffer, digest: string, keys: readonly SignatureKey[], now: number, where: string): SignatureFinding {
  const envelope = jsonOf(bytes.toString('utf8'));
  if (!isPlainObject(envelope) || typeof envelope.protected !== 'string' || typeof envelope.payload !== 'string' || typeof envelope.signature !== 'string') {
    return invalidFinding(where, 'not a JWS JSON envelope');
  }
  const header = jsonOf(Buffer.from(envelope.protected, 'base64url').toString('utf8'));
  if (!isPlainObject(header)) return invalidFinding(where, 'protected header is not JSON');
  const algorithm = typeof header.alg === 'string' ? ALGORITHMS[header.alg] : undefined;
  if (!algorithm) return invalidFinding(where, `unsupported algorithm ${String(header.alg)}`);
  if (header.cty !== Notation.PAYLOAD_TYPE) return invalidFinding(where, `content type ${String(header.cty)} is not ${Notation.PAYLOAD_TYPE}`);
  const critical = Array.isArray(header.crit) ? header.crit : [];
  const unknown = critical.find((name) => typeof name !== 'string' || !UNDERSTOOD_CRITICAL.has(name));
  if (unknown !== undefined) return invalidFinding(where, `critical header ${String(unknown)} is not supported`);
  const expiry = header['io.cncf.notary.expiry'];
  if (typeof expiry === 'string' && !(Date.parse(expiry) > now)) return invalidFinding(where, `expired at ${expiry}`);
  const payload = jsonOf(Buffer.from(envelope.payload, 'base64url').toString('utf8'));
  const target = isPlainObject(payload) && isPlainObject(payload.targetArtifact) ? payload.targetArtifact.digest : undefined;
  if (target !== digest) return invalidFinding(where, typeof target === 'string' ? `payload names ${target}, not ${digest}` : 'payload has no targetArtifact');
  if (keys.length === 0) return validFinding(where);
  const signingInput = Buffer.from(`${envelope.protected}.${envelope.payload}`, 'ascii');
  const signature = Buffer.from(envelope.signature, 'base64url');
  const key = keys.find((k) => verifiesWith(k.key, algorithm, signingInput, signature));
  return key ? validFinding(where, key.name) : invalidFinding(where, `does not verify with ${keyList(keys)}`);
}

function verifiesWith(key: KeyObject, algorithm: (typeof ALGORITHMS)[string], input: Buffer, signature: Buffer): boolean {
  try {
    if (algorithm.kind === 'ec') {
      return key.asymmetricKeyType === 'ec' && verify(algorithm.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false;
    return verify(algorithm.hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength }, signature);
  } catch {
    return false;
  }
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
