/** What a pull admission policy is asked about: the manifest the client is about to get. */
export interface AdmissionRequest {
  /** Client-facing repository name (policies match it) and the reference as the client gave it. */
  repository: string;
  reference: string;
  /** The resolved manifest. */
  digest: string;
  mediaType: string;
  /** The manifest's bytes when the caller already has them (a GET); else they are read when a check needs them. */
  manifest?: Buffer;
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Every policy that applied, in config order, with what it found. */
  policies: { name: string; allowed: boolean; reason: string }[];
  /** For a denial: `policy "prod-signed": no valid signature for sha256:… by key "release"`. */
  message?: string;
}
