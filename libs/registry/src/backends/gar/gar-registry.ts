import { assertValidName, compareNames, paginateSorted, type Page, type PageRequest } from '#oci';
import type { BackendStatus } from '../../port';
import { GenericRegistry, type GenericRegistryOptions } from '../generic';
import type { GarApi } from './gar-api';

export interface GarRegistryOptions extends Omit<GenericRegistryOptions, 'type' | 'tokenProvider'> {
  api: GarApi;
  project: string;
  location: string;
  /** When set, the backend's namespace is this one repository's images. */
  repository?: string;
  /**
   * Set for a gcr.io host: the Artifact Registry repository the host itself stands for
   * (`gcr.io`, `us.gcr.io`…). Its images are `<project>/<image>` there, with no repository segment.
   */
  gcrRepository?: string;
}

/** The Artifact Registry repository behind a gcr.io host, or undefined for any other host. */
export function gcrRepositoryOf(registryUrl: string): string | undefined {
  const host = new URL(registryUrl).hostname;
  return /^(?:(?:us|eu|asia)\.)?gcr\.io$/.test(host) ? host : undefined;
}

/**
 * Google Artifact Registry: names are `<project>/<repository>/<image>` on
 * `<location>-docker.pkg.dev`; the gateway's names are relative to the project (or to the
 * configured repository). The catalog comes from the Artifact Registry API, which lists what
 * `_catalog` would not (and needs no registry-wide token scope).
 */
export class GarRegistry extends GenericRegistry {
  private readonly prefix: string;

  constructor(private readonly gar: GarRegistryOptions) {
    super({ ...gar, type: 'gar' });
    this.prefix = gar.repository && !gar.gcrRepository ? `${gar.project}/${gar.repository}/` : `${gar.project}/`;
  }

  protected override upstreamName(repo: string): string {
    assertValidName(repo);
    const name = `${this.prefix}${repo}`;
    assertValidName(name);
    return name;
  }

  protected override async listCatalog(page: PageRequest): Promise<Page> {
    const only = this.gar.gcrRepository ?? this.gar.repository;
    const names = only
      ? await this.gar.api.images(only)
      : (await Promise.all((await this.gar.api.repositories()).map(async (r) => (await this.gar.api.images(r)).map((i) => `${r}/${i}`)))).flat();
    return paginateSorted([...new Set(names)].sort(compareNames), page);
  }

  override async status(): Promise<BackendStatus> {
    return {
      ...(await super.status()),
      project: this.gar.project,
      location: this.gar.location,
      ...(this.gar.repository ? { repository: this.gar.repository } : {}),
    };
  }

  override async close(): Promise<void> {
    await super.close();
    await this.gar.api.close();
  }
}
