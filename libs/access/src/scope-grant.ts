import type { AccessEntry } from './access-action';
import type { AccessRules } from './access-rules';
import { ruleActionOf } from './scope';
import type { Subject } from './subject';

/**
 * The token spec's intersection: of what was asked for, what the rules allow this subject now.
 * Asking for more is not an error; it is left out (an entry with nothing left goes entirely).
 */
export function grantScopes(rules: AccessRules, subject: Subject, requested: readonly AccessEntry[]): AccessEntry[] {
  return requested.flatMap((entry) => {
    const actions = entry.actions.filter((action) => {
      const ruleAction = ruleActionOf(entry, action);
      return ruleAction !== undefined && rules.decide(subject, ruleAction, entry.type === 'repository' ? entry.name : undefined).allowed;
    });
    return actions.length > 0 ? [{ type: entry.type, name: entry.name, actions }] : [];
  });
}
