import { type Descriptor, digestOf, type ParsedManifest, parseManifest, parseDigest } from '#oci';
import type { AdmissionSource } from '../admission-source';

/**
 * The referrers of one signature format, at most this many: whoever may push could otherwise
 * make every pull read thousands of manifests. The last listed are kept (a tag-schema index appends).
 */
export const MAX_SIGNATURES_PER_FORMAT = 16;

export function signatureReferrers(referrers: readonly Descriptor[], artifactType: string): Descriptor[] {
  return referrers.filter((r) => r.artifactType === artifactType).slice(-MAX_SIGNATURES_PER_FORMAT);
}

/** A signature manifest read by digest (a referrer), checked against that digest and parsed. */
export async function readReferrer(source: AdmissionSource, descriptor: Descriptor): Promise<ParsedManifest> {
  const manifest = await source.manifest(descriptor.digest);
  if (digestOf(manifest.bytes, parseDigest(descriptor.digest).algorithm) !== descriptor.digest) {
    throw new Error(`manifest does not match its digest`);
  }
  return parseManifest(manifest.bytes, manifest.mediaType);
}

/** The subject check of a referrer: it must be about exactly the pulled manifest. */
export function subjectProblem(parsed: ParsedManifest, digest: string): string | undefined {
  if (!parsed.subject) return 'has no subject';
  return parsed.subject.digest === digest ? undefined : `its subject is ${parsed.subject.digest}, not ${digest}`;
}

/** A short reason from anything thrown while reading a signature. */
export function problemOf(err: unknown): string {
  return (err as Error).message.slice(0, 200);
}
