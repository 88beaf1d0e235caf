import { compareNames, paginateSorted, type Page, type PageRequest } from '#oci';
import type { BackendStatus } from '../../port';
import { GenericRegistry, type GenericRegistryOptions } from '../generic';
import type { AcrApi } from './acr-api';

export interface AcrRegistryOptions extends Omit<GenericRegistryOptions, 'type'> {
  /** The control plane; absent for admin-user / Basic identities, which the SDK cannot use. */
  api?: AcrApi;
  /** The undici pool of the OAuth2 calls, closed with the backend. */
  closeAuth?: () => Promise<void>;
  auth: 'aad' | 'basic';
}

/**
 * Azure Container Registry: a v2 registry (referrers, `_catalog`, tag pagination all native)
 * behind ACR's OAuth2 token service. With an AAD identity, the catalog goes through the
 * Azure SDK; with an admin user, through `_catalog`.
 */
export class AcrRegistry extends GenericRegistry {
  constructor(private readonly acr: AcrRegistryOptions) {
    super({ ...acr, type: 'acr' });
  }

  protected override async listCatalog(page: PageRequest): Promise<Page> {
    if (!this.acr.api) return super.listCatalog(page);
    const names = await this.acr.api.repositoryNames();
    return paginateSorted([...new Set(names)].sort(compareNames), page);
  }

  override async status(): Promise<BackendStatus> {
    return { ...(await super.status()), auth: this.acr.auth };
  }

  override async close(): Promise<void> {
    await super.close();
    await this.acr.closeAuth?.();
  }
}
