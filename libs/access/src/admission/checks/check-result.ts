/** What one check of one policy found: `reason` ends up in denials, explain answers and audit lines. */
export interface CheckResult {
  ok: boolean;
  reason: string;
}

export const pass = (reason: string): CheckResult => ({ ok: true, reason });
export const fail = (reason: string): CheckResult => ({ ok: false, reason });
