import { type AccessAction, type AccessEntry, CATALOG_SCOPE, repositoryScope } from '#access';
import type { V2Route } from '../v2/v2-routes';

/** What a v2 request needs: some actions on one repository, the catalog, or only a valid login (`/v2/`). */
export type V2Requirement =
  | { kind: 'login' }
  | { kind: 'catalog'; scope: AccessEntry }
  | { kind: 'repository'; repository: string; actions: readonly AccessAction[]; scope: AccessEntry };

const PULL: readonly AccessAction[] = ['pull'];
/** Like distribution: writing needs pull too (a client reads what it pushes, and mounts). */
const PUSH: readonly AccessAction[] = ['pull', 'push'];
const DELETE: readonly AccessAction[] = ['delete'];

/** The scope a request needs, by route and method; what is unknown needs a valid login (and gets its 404 after). */
export function v2Requirement(method: string, route: V2Route | undefined): V2Requirement {
  if (!route || route.kind === 'base') return { kind: 'login' };
  if (route.kind === 'catalog') return { kind: 'catalog', scope: CATALOG_SCOPE };
  const actions = actionsFor(method, route.kind);
  return { kind: 'repository', repository: route.name, actions, scope: repositoryScope(route.name, actions) };
}

function actionsFor(method: string, kind: Exclude<V2Route['kind'], 'base' | 'catalog'>): readonly AccessAction[] {
  switch (kind) {
    case 'manifest':
    case 'blob':
      if (method === 'DELETE') return DELETE;
      return method === 'PUT' || method === 'POST' || method === 'PATCH' ? PUSH : PULL;
    case 'upload-start':
    case 'upload':
      return PUSH;
    case 'tags':
    case 'referrers':
      return PULL;
  }
}
