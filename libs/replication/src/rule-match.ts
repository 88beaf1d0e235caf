import picomatch from 'picomatch';
import type { ReplicationRuleConfig } from '#config';
import { compileTagFilter, type TagFilter } from './tag-filter';

/** A destination of a rule, with the repository name it gets for a source repository. */
export interface RuleDestination {
  backend: string;
  repository: string;
}

/** A replication rule compiled once: which repositories and tags it copies, and where to. */
export class CompiledRule {
  readonly name: string;
  readonly sourceBackend: string;
  readonly tagMatches: TagFilter;
  private readonly repositoryMatches: (name: string) => boolean;

  constructor(readonly config: ReplicationRuleConfig) {
    this.name = config.name;
    this.sourceBackend = config.source.backend;
    this.repositoryMatches = picomatch(config.source.repositories, { dot: true });
    this.tagMatches = compileTagFilter(config.source.tags);
  }

  /** Whether the rule copies `repository` (as the source backend names it). */
  matchesRepository(repository: string): boolean {
    return this.repositoryMatches(repository);
  }

  /** Repository patterns without wildcards: names the rule knows without a catalog. */
  literalRepositories(): string[] {
    return this.config.source.repositories.filter((pattern) => !picomatch.scan(pattern).isGlob);
  }

  destinationsFor(repository: string): RuleDestination[] {
    return this.config.destinations.map((d) => ({ backend: d.backend, repository: rewriteName(d.repository, repository) }));
  }

  hasTrigger(trigger: 'on-push' | 'manual' | 'reconcile'): boolean {
    return this.config.triggers.includes(trigger);
  }

  cronPatterns(): string[] {
    return this.config.triggers.flatMap((t) => (typeof t === 'object' ? [t.cron] : []));
  }
}

/** `mirror/{name}` with `{name}` the source repository. */
export function rewriteName(template: string, name: string): string {
  return template.replaceAll('{name}', name);
}

export function compileRules(rules: readonly ReplicationRuleConfig[]): CompiledRule[] {
  return rules.map((rule) => new CompiledRule(rule));
}
