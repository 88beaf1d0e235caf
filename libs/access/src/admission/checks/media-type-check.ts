import type { CompiledPolicy } from '../compiled-policy';
import { type CheckResult, fail, pass } from './check-result';

/** `mediaTypes`: the pulled manifest's own media type. */
export function checkMediaType(policy: CompiledPolicy, mediaType: string): CheckResult | undefined {
  const allowed = policy.config.mediaTypes;
  if (!allowed) return undefined;
  return allowed.includes(mediaType) ? pass(`media type ${mediaType} is allowed`) : fail(`media type ${mediaType} is not allowed`);
}
