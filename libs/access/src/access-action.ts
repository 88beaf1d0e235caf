import type { AccessAction } from '#config';

export type { AccessAction };

export const ACCESS_ACTIONS: readonly AccessAction[] = ['pull', 'push', 'delete', 'catalog', 'admin'];

/**
 * One entry of a token's `access` claim and of a `scope` parameter (the Docker token spec):
 * `repository:team/app:pull,push`, `registry:catalog:*`.
 */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}
