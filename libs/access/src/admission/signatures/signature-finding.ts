/** One signature admission looked at, and what it made of it. */
export interface SignatureFinding {
  /** Where it was found: `cosign .sig tag`, `cosign referrer sha256:…`, `notation referrer sha256:…`. */
  source: string;
  /** Valid: verified by this key, or (no keys configured) present and naming the pulled digest. */
  valid: boolean;
  /** The key that verified it. */
  key?: string;
  /** Why it is not valid. */
  problem?: string;
}

export const validFinding = (source: string, key?: string): SignatureFinding => ({ source, valid: true, ...(key ? { key } : {}) });
export const invalidFinding = (source: string, problem: string): SignatureFinding => ({ source, valid: false, problem });
