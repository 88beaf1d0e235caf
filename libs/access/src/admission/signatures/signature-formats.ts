import { parseDigest } from '#oci';

/**
 * The wire formats of the signatures admission reads, as sigstore/cosign (pkg/oci, pkg/cosign)
 * and notaryproject/specifications define them.
 */
export const Cosign = {
  /** The layer holding the simple-signing payload that was signed. */
  SIMPLE_SIGNING: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** Annotation of that layer: base64 of an ASN.1 DER signature over the layer bytes. */
  SIGNATURE_ANNOTATION: 'dev.cosignproject.cosign/signature',
  /** artifactType of a signature stored as an OCI 1.1 referrer (`--registry-referrers-mode=oci-1-1`). */
  ARTIFACT_TYPE: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  /** `critical.type` of a simple-signing payload. */
  PAYLOAD_TYPE: 'cosign container image signature',
} as const;

export const Notation = {
  /** artifactType (or config media type, for registries before OCI 1.1) of a signature manifest. */
  ARTIFACT_TYPE: 'application/vnd.cncf.notary.signature',
  JWS_ENVELOPE: 'application/jose+json',
  COSE_ENVELOPE: 'application/cose',
  /** The `cty` of a JWS envelope's protected header. */
  PAYLOAD_TYPE: 'application/vnd.cncf.notary.payload.v1+json',
} as const;

/** Layer media types that make a manifest a signature rather than something to run. */
export const SIGNATURE_LAYER_TYPES: ReadonlySet<string> = new Set([
  Cosign.SIMPLE_SIGNING,
  Notation.JWS_ENVELOPE,
  Notation.COSE_ENVELOPE,
]);

/** cosign's tag for the signatures of `digest`: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function cosignSignatureTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.sig`;
}
