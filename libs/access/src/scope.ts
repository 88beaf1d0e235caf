import { isValidName } from '#oci';
import type { AccessAction } from './access-action';
import type { AccessEntry } from './access-action';

/** The actions a `repository:` scope may name; `*` asks for all of them. */
const REPOSITORY_ACTIONS: readonly AccessAction[] = ['pull', 'push', 'delete'];

/**
 * Parses the `scope` parameters of a token request (`repository:team/app:pull,push`,
 * `registry:catalog:*`; POST /token puts several in one, space-separated). What is malformed or
 * unknown is dropped, like an action nobody may be granted: the spec trims, it does not refuse.
 * Entries of one resource are merged.
 */
export function parseScopes(values: readonly string[]): AccessEntry[] {
  const merged = new Map<string, AccessEntry>();
  for (const value of values.flatMap((v) => v.split(' ')).filter(Boolean)) {
    const entry = parseScope(value);
    if (!entry) continue;
    const key = `${entry.type}:${entry.name}`;
    const existing = merged.get(key);
    if (existing) existing.actions = [...new Set([...existing.actions, ...entry.actions])];
    else merged.set(key, entry);
  }
  return [...merged.values()];
}

function parseScope(value: string): AccessEntry | undefined {
  // The name may hold a port-like `:` only in a registry host, which Gantry's names never have.
  const first = value.indexOf(':');
  const last = value.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = value.slice(0, first);
  const name = value.slice(first + 1, last);
  const actions = value.slice(last + 1).split(',').filter(Boolean);
  if (type === 'repository' && isValidName(name)) {
    const expanded = actions.includes('*') ? [...REPOSITORY_ACTIONS] : actions.filter((a) => (REPOSITORY_ACTIONS as string[]).includes(a));
    return expanded.length > 0 ? { type, name, actions: [...new Set(expanded)] } : undefined;
  }
  if (type === 'registry' && name === 'catalog' && actions.includes('*')) return { type, name, actions: ['*'] };
  return undefined;
}

/** `repository:team/app:pull,push`: the form of a challenge's `scope`. */
export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/** The scope a request needs, as the challenge names it. */
export function repositoryScope(name: string, actions: readonly AccessAction[]): AccessEntry {
  return { type: 'repository', name, actions: [...actions] };
}

export const CATALOG_SCOPE: AccessEntry = Object.freeze({ type: 'registry', name: 'catalog', actions: ['*'] }) as AccessEntry;

/** What an entry's action means for the rules: `registry:catalog:*` is the `catalog` action. */
export function ruleActionOf(entry: AccessEntry, action: string): AccessAction | undefined {
  if (entry.type === 'registry' && entry.name === 'catalog' && action === '*') return 'catalog';
  if (entry.type === 'repository' && (REPOSITORY_ACTIONS as string[]).includes(action)) return action as AccessAction;
  return undefined;
}

/**
 * A token's access claim, indexed for the check every request makes: does it cover this action
 * on this repository (or the catalog)?
 */
export class GrantedAccess {
  private readonly byResource = new Map<string, ReadonlySet<string>>();

  constructor(readonly entries: readonly AccessEntry[]) {
    for (const entry of entries) this.byResource.set(`${entry.type}:${entry.name}`, new Set(entry.actions));
  }

  covers(repository: string | undefined, action: AccessAction): boolean {
    if (action === 'catalog') return this.byResource.get('registry:catalog')?.has('*') ?? false;
    if (repository === undefined) return false;
    return this.byResource.get(`repository:${repository}`)?.has(action) ?? false;
  }
}
