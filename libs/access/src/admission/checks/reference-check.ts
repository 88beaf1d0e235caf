import { isDigestReference } from '#oci';
import type { CompiledPolicy } from '../compiled-policy';
import { type CheckResult, fail, pass } from './check-result';

/** `requireDigest` and `denyTags`: judged on the reference exactly as the client gave it. */
export function checkReference(policy: CompiledPolicy, reference: string): CheckResult | undefined {
  const { requireDigest, denyTags } = policy.config;
  if (!requireDigest && denyTags.length === 0) return undefined;
  if (isDigestReference(reference)) return pass('pulled by digest');
  if (requireDigest) return fail(`tag "${reference}" is not allowed: pull by digest (name@sha256:…)`);
  const pattern = policy.deniedTagPattern(reference);
  if (pattern !== undefined) return fail(`tag "${reference}" is denied (denyTags "${pattern}")`);
  return pass(`tag "${reference}" is allowed`);
}
