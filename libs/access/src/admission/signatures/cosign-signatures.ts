import { verify } from 'node:crypto';
import { type Descriptor, isOciError, isPlainObject, type ParsedManifest, parseManifest } from '#oci';
import type { AdmissionSource } from '../admission-source';
import { invalidFinding, type SignatureFinding, validFinding } from './signature-finding';
import { Cosign, cosignSignatureTag } from './signature-formats';
import type { SignatureKey } from './signature-keys';
import { problemOf, readReferrer, signatureReferrers, subjectProblem } from './signature-manifests';

/** Simple-signing payloads are a few hundred bytes. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * cosign signatures of `digest`: the `sha256-<hex>.sig` tag (cosign's default) and OCI 1.1
 * referrers of artifactType `application/vnd.dev.cosign.artifact.sig.v1+json`. Each
 * simple-signing layer is one signature: its payload must name exactly `digest` in
 * `critical.image.docker-manifest-digest`, and with keys the annotation
 * `dev.cosignproject.cosign/signature` (base64, ASN.1 DER ECDSA over the payload, SHA-256) must
 * verify with one of them. Stops at the first valid one.
 */
export async function findCosignSignatures(
  source: AdmissionSource,
  digest: string,
  keys: readonly SignatureKey[],
  referrers: readonly Descriptor[],
): Promise<SignatureFinding[]> {
  const findings: SignatureFinding[] = [];
  const tagged = await signatureTagManifest(source, digest);
  if (tagged instanceof Error) findings.push(invalidFinding('cosign .sig tag', problemOf(tagged)));
  else if (tagged) findings.push(...(await layerFindings(source, tagged, digest, keys, 'cosign .sig tag')));
  for (const referrer of signatureReferrers(referrers, Cosign.ARTIFACT_TYPE)) {
    if (findings.some((f) => f.valid)) break;
    const where = `cosign referrer ${referrer.digest}`;
    try {
      const parsed = await readReferrer(source, referrer);
      const problem = subjectProblem(parsed, digest);
      findings.push(...(problem ? [invalidFinding(where, problem)] : await layerFindings(source, parsed, digest, keys, where)));
    } catch (err) {
      findings.push(invalidFinding(where, problemOf(err)));
    }
  }
  return findings;
}

/** The manifest under the `.sig` tag; undefined when there is none; an Error when it could not be read. */
async function signatureTagManifest(source: AdmissionSource, digest: string): Promise<ParsedManifest | undefined | Error> {
  try {
    const manifest = await source.manifest(cosignSignatureTag(digest));
    return parseManifest(manifest.bytes, manifest.mediaType);
  } catch (err) {
    if (isOciError(err) && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined;
    return err as Error;
  }
}

async function layerFindings(
  source: AdmissionSource,
  manifest: ParsedManifest,
  digest: string,
  keys: readonly SignatureKey[],
  where: string,
): Promise<SignatureFinding[]> {
  const layers = manifest.blobs.slice(1).filter((layer) => layer.mediaType === Cosign.SIMPLE_SIGNING);
  if (layers.length === 0) return [invalidFinding(where, 'holds no simple-signing layer')];
  const findings: SignatureFinding[] = [];
  for (const layer of layers) {
    try {
      findings.push(await judgeLayer(source, layer, digest, keys, where));
    } catch (err) {
      findings.push(invalidFinding(where, problemOf(err)));
    }
    if (findings.at(-1)!.valid) break;
  }
  return findings;
}

async function judgeLayer(source: AdmissionSource, layer: Descriptor, digest: string, keys: readonly SignatureKey[], where: string): Promise<SignatureFinding> {
  const payload = await source.smallBlob(layer, MAX_PAYLOAD_BYTES);
  const signed = signedDigest(payload);
  if (signed !== digest) return invalidFinding(where, signed ? `payload names ${signed}, not ${digest}` : 'payload is not a cosign simple-signing payload');
  if (keys.length === 0) return validFinding(where);
  const signature = layer.annotations?.[Cosign.SIGNATURE_ANNOTATION];
  if (!signature) return invalidFinding(where, `no ${Cosign.SIGNATURE_ANNOTATION} annotation`);
  const bytes = Buffer.from(signature, 'base64');
  const key = keys.find((k) => verifiesWith(k, payload, bytes));
  return key ? validFinding(where, key.name) : invalidFinding(where, `does not verify with ${keyList(keys)}`);
}

/** `critical.image.docker-manifest-digest` of a simple-signing payload of cosign's type. */
function signedDigest(payload: Buffer): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.critical)) return undefined;
  const { critical } = doc;
  if (critical.type !== Cosign.PAYLOAD_TYPE || !isPlainObject(critical.image)) return undefined;
  const signed = critical.image['docker-manifest-digest'];
  return typeof signed === 'string' ? signed : undefined;
}

/** ECDSA (DER) or RSA PKCS#1 v1.5 over SHA-256, Ed25519 over the bytes: what cosign's signers produce. */
function verifiesWith(key: SignatureKey, payload: Buffer, signature: Buffer): boolean {
  try {
    return verify(key.key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key.key, signature);
  } catch {
    return false;
  }
}

export function keyList(keys: readonly SignatureKey[]): string {
  return `key ${keys.map((k) => `"${k.name}"`).join(' or ')}`;
}
