import { MANIFEST_MEDIA_TYPES } from '#oci';
import type { Registry } from '#registry';
import type { ReplicationJobData, ReplicationTrigger } from './replication-job';
import type { ReplicationState } from './replication-state';
import type { CompiledRule } from './rule-match';

/** A page of tags or repositories at a time. */
const PAGE = 1000;

export interface ScanOptions {
  trigger: Exclude<ReplicationTrigger, 'on-push'>;
  /** Only this source repository (a manual run for one repository). */
  repository?: string;
  /** Reconcile: only tags whose digest differs from what was last copied to that destination. */
  onlyChanged?: boolean;
}

/**
 * Decides which copy jobs a trigger makes: a push (one tag), or a scan of a rule's source
 * repositories and tags. It reads the source backends and replication state; it enqueues nothing.
 */
export class ReplicationPlanner {
  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly backends: ReadonlyMap<string, Registry>,
    private readonly state: ReplicationState,
  ) {}

  rule(name: string): CompiledRule | undefined {
    return this.rules.find((r) => r.name === name);
  }

  /**
   * A manifest pushed through the gateway: a job per destination of every `on-push` rule that
   * takes the repository and tag. Pushes by digest (an index's children, referrers) copy with
   * the tag that points at them, not on their own.
   */
  forPush(backend: string, repository: string, tag: string | undefined, digest: string): ReplicationJobData[] {
    if (tag === undefined) return [];
    return this.rules
      .filter((r) => r.hasTrigger('on-push') && r.sourceBackend === backend && r.matchesRepository(repository) && r.tagMatches(tag))
      .flatMap((r) => this.jobsFor(r, 'on-push', repository, tag, digest));
  }

  async scan(rule: CompiledRule, options: ScanOptions): Promise<ReplicationJobData[]> {
    const source = this.backends.get(rule.sourceBackend);
    if (!source) throw new Error(`backend ${rule.sourceBackend} is not available`);
    const repositories = options.repository !== undefined ? [options.repository] : await this.repositoriesOf(rule, source);
    const jobs: ReplicationJobData[] = [];
    for (const repository of repositories) {
      if (!rule.matchesRepository(repository)) continue;
      for (const tag of (await allPages((page) => source.listTags(repository, page))).filter((t) => rule.tagMatches(t))) {
        const { digest } = await source.statManifest(repository, tag, MANIFEST_MEDIA_TYPES);
        for (const job of this.jobsFor(rule, options.trigger, repository, tag, digest)) {
          if (options.onlyChanged && (await this.state.lastCopied(rule.name, repository, tag, job.destination)) === digest) continue;
          jobs.push(job);
        }
      }
    }
    return jobs;
  }

  /** The catalog where the source has one, else the repositories the rule names or has seen. */
  private async repositoriesOf(rule: CompiledRule, source: Registry): Promise<string[]> {
    const known = new Set([...rule.literalRepositories(), ...(await this.state.seenRepositories(rule.name))]);
    if (source.listRepositories) {
      const list = source.listRepositories.bind(source);
      for (const name of await allPages((page) => list(page))) if (rule.matchesRepository(name)) known.add(name);
    }
    return [...known].sort();
  }

  private jobsFor(rule: CompiledRule, trigger: ReplicationTrigger, repository: string, tag: string, digest: string): ReplicationJobData[] {
    return rule.destinationsFor(repository).map((destination) => ({
      rule: rule.name,
      trigger,
      source: { backend: rule.sourceBackend, repository },
      digest,
      tag,
      destination,
    }));
  }
}

async function allPages(read: (page: { n: number; last?: string }) => Promise<{ items: string[]; next?: string }>): Promise<string[]> {
  const items: string[] = [];
  let last: string | undefined;
  do {
    const page = await read(last === undefined ? { n: PAGE } : { n: PAGE, last });
    items.push(...page.items);
    last = page.next;
  } while (last !== undefined);
  return items;
}
