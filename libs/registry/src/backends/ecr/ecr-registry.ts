import type { Readable } from 'node:stream';
import { compareNames, paginateSorted, type Descriptor, type Page, type PageRequest } from '#oci';
import type { BackendStatus, ManifestContent, PutManifestResult, UploadProgress } from '../../port';
import { GenericRegistry, type GenericRegistryOptions } from '../generic';
import type { EcrApi } from './ecr-api';
import type { EcrCredentials } from './ecr-credentials';
import { isExpiredTokenDenial } from './expired-token';

export interface EcrRegistryOptions extends Omit<GenericRegistryOptions, 'credentials' | 'tokenProvider' | 'type' | 'isCredentialRejection'> {
  api: EcrApi;
  credentials: EcrCredentials;
  region: string;
  registryId: string;
  /** Create a missing repository before the first push to it. */
  createRepositories: boolean;
}

/**
 * AWS ECR: a v2 registry whose Basic password comes from GetAuthorizationToken, where a push to
 * a missing repository fails (so repositories are created first) and the catalog is
 * DescribeRepositories.
 */
export class EcrRegistry extends GenericRegistry {
  private readonly api: EcrApi;
  /** Repositories known to exist (created by us, or found already there). */
  private readonly existing = new Set<string>();
  /** One CreateRepository per name for concurrent first pushes (layers upload in parallel). */
  private readonly creating = new Map<string, Promise<void>>();

  constructor(private readonly ecr: EcrRegistryOptions) {
    super({ ...ecr, type: 'ecr', credentials: ecr.credentials, isCredentialRejection: isExpiredTokenDenial });
    this.api = ecr.api;
  }

  override async startUpload(repo: string): Promise<UploadProgress> {
    await this.ensureRepository(repo);
    return super.startUpload(repo);
  }

  override async putBlob(repo: string, digest: string, body: Readable, length?: number): Promise<void> {
    await this.ensureRepository(repo);
    return super.putBlob(repo, digest, body, length);
  }

  /** A mount ECR answers 202 (off by default, `BLOB_MOUNTING`) is `false`: the caller uploads. */
  override async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    await this.ensureRepository(repo);
    return super.mountBlob(repo, digest, fromRepo);
  }

  override async putManifest(repo: string, reference: string, manifest: ManifestContent, subject?: Descriptor): Promise<PutManifestResult> {
    await this.ensureRepository(repo);
    return super.putManifest(repo, reference, manifest, subject);
  }

  protected override async listCatalog(page: PageRequest): Promise<Page> {
    const names = await this.api.repositoryNames();
    return paginateSorted([...new Set(names)].sort(compareNames), page);
  }

  override async status(): Promise<BackendStatus> {
    return {
      ...(await super.status()),
      region: this.ecr.region,
      registryId: this.ecr.registryId,
      createRepositories: this.ecr.createRepositories,
    };
  }

  override async close(): Promise<void> {
    await super.close();
    this.api.close();
  }

  private async ensureRepository(repo: string): Promise<void> {
    const name = this.upstreamName(repo);
    if (!this.ecr.createRepositories || this.existing.has(name)) return;
    let running = this.creating.get(name);
    if (!running) {
      running = this.create(name).finally(() => this.creating.delete(name));
      this.creating.set(name, running);
    }
    await running;
  }

  private async create(name: string): Promise<void> {
    try {
      const created = await this.api.createRepository(name);
      this.existing.add(name);
      if (created) this.logger.info({ repository: name }, 'created ECR repository');
    } catch (err) {
      // Without ecr:CreateRepository the push may still work (the repository exists, or a
      // creation template creates it on push): let the push itself tell.
      if ((err as { code?: string }).code !== 'DENIED') throw err;
      this.logger.warn({ repository: name }, 'not allowed to create ECR repository; pushing anyway');
    }
  }
}
