import type { Descriptor, Page, PageRequest } from '#oci';
import type { CacheAnnotated } from './cache-status';

export interface TagLister {
  /** Tags in lexical order, honouring `n`/`last` even when the upstream cannot. */
  listTags(repo: string, page: PageRequest): Promise<Page & CacheAnnotated>;
}

export interface ReferrersLister {
  /** Manifests whose subject is `digest`; `filtered` when `artifactType` was applied. */
  listReferrers(repo: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; filtered: boolean } & CacheAnnotated>;
}

export interface CatalogLister {
  /** Repository names in lexical order, in the backend's own namespace. */
  listRepositories(page: PageRequest): Promise<Page & CacheAnnotated>;
}
