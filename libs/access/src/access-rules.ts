import picomatch from 'picomatch';
import type { AccessRuleConfig } from '#config';
import type { AccessAction } from './access-action';
import type { Grant, Subject } from './subject';

/** A rule as the decision sees it: named, its matchers compiled once. */
interface CompiledRule {
  name: string;
  effect: 'allow' | 'deny';
  subjects: readonly string[];
  repositories: readonly string[];
  actions: ReadonlySet<string>;
  matchesSubject(subject: Subject): boolean;
  matchesRepository(repository: string): boolean;
}

/** A rule that applied to a question, for explain answers. */
export interface AppliedRule {
  name: string;
  effect: 'allow' | 'deny';
}

export interface RuleVerdict {
  allowed: boolean;
  /** The rule that decided; undefined when nothing allowed it (denied by default). */
  rule?: string;
  /** Every rule that matched the subject, action and repository, in config order. */
  applied: AppliedRule[];
  reason: string;
}

/**
 * The access rules of `auth.rules`, plus the grants a robot carries: subject × repository globs ×
 * actions. A matching deny beats any allow; what nothing allows is denied. `admin` and `catalog`
 * are not about a repository and ignore a rule's repositories.
 */
export class AccessRules {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly AccessRuleConfig[]) {
    this.rules = rules.map((rule, i) => compile(rule.name ?? `rules[${i}]`, rule.effect, rule.subjects, rule.repositories, rule.actions));
  }

  decide(subject: Subject, action: AccessAction, repository?: string): RuleVerdict {
    const repositoryBound = action !== 'admin' && action !== 'catalog';
    if (repositoryBound && repository === undefined) return { allowed: false, applied: [], reason: `${action} needs a repository` };
    const applied: AppliedRule[] = [];
    // Both lists in turn, without joining them: this runs for every action of every request.
    for (const rules of [this.rules, grantRules(subject)]) {
      for (const rule of rules) {
        if (!rule.actions.has(action) || !rule.matchesSubject(subject)) continue;
        if (repositoryBound && !rule.matchesRepository(repository!)) continue;
        applied.push({ name: rule.name, effect: rule.effect });
      }
    }
    const deny = applied.find((r) => r.effect === 'deny');
    if (deny) return { allowed: false, rule: deny.name, applied, reason: `denied by rule "${deny.name}"` };
    const allow = applied.find((r) => r.effect === 'allow');
    if (allow) return { allowed: true, rule: allow.name, applied, reason: `allowed by rule "${allow.name}"` };
    return { allowed: false, applied, reason: 'no rule allows it' };
  }
}

/** A robot's grants are allow entries for that robot alone (deny rules still apply). */
function grantRules(subject: Subject): CompiledRule[] {
  if (!subject.grants?.length) return [];
  // Compiled once per grants array: a verified token's subject is reused for its whole life.
  let compiled = compiledGrants.get(subject.grants);
  if (!compiled) {
    compiled = subject.grants.map((grant, i) =>
      compile(`robot:${subject.name} grants[${i}]`, 'allow', [`robot:${subject.name}`], grant.repositories, grant.actions),
    );
    compiledGrants.set(subject.grants, compiled);
  }
  return compiled;
}

const compiledGrants = new WeakMap<readonly Grant[], CompiledRule[]>();

function compile(
  name: string,
  effect: 'allow' | 'deny',
  subjects: readonly string[],
  repositories: readonly string[],
  actions: readonly string[],
): CompiledRule {
  const subjectMatchers = subjects.map(subjectMatcher);
  const repositoryMatcher = picomatch([...repositories]);
  return {
    name,
    effect,
    subjects,
    repositories,
    actions: new Set(actions),
    matchesSubject: (subject) => subjectMatchers.some((m) => m(subject)),
    matchesRepository: (repository) => repositoryMatcher(repository),
  };
}

/** `anonymous`, `authenticated`, `*`, `user:<n>`, `group:<n>`, `robot:<n>`, `claim:<k>=<v>` (see the config schema). */
export function subjectMatcher(pattern: string): (subject: Subject) => boolean {
  if (pattern === '*') return () => true;
  if (pattern === 'anonymous') return (s) => s.kind === 'anonymous';
  if (pattern === 'authenticated') return (s) => s.kind !== 'anonymous';
  const colon = pattern.indexOf(':');
  const kind = pattern.slice(0, colon);
  const value = pattern.slice(colon + 1);
  switch (kind) {
    case 'user':
      return (s) => s.kind === 'user' && s.name === value;
    case 'robot':
      return (s) => s.kind === 'robot' && s.name === value;
    case 'group':
      return (s) => s.groups.includes(value);
    case 'claim': {
      const eq = value.indexOf('=');
      const claim = value.slice(0, eq);
      const expected = value.slice(eq + 1);
      return (s) => s.claims?.[claim] === expected;
    }
    default:
      return () => false;
  }
}
