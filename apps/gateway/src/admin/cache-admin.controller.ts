import { Controller, Delete, Get, Inject, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { type CacheServices, type CacheServicesStatus, cacheKeys } from '#cache';
import { OciError } from '#oci';
import { CACHE_SERVICES } from '../bootstrap/tokens';
import { RepositoryResolver } from '../v2/repository-resolver';
import { type RouteCacheReport, RouteRegistries } from '../v2/route-registries';
import { AdminApi } from './openapi/admin-api.decorator';
import { cachePurgeSchema, cacheStatusSchema, ociErrorSchema } from './openapi/admin-schemas';

/** The cache's state for operators, and a purge of one repository's entries. */
@AdminApi('cache')
@Controller('admin/v1/cache')
export class CacheAdminController {
  constructor(
    @Inject(CACHE_SERVICES) private readonly cache: CacheServices,
    private readonly registries: RouteRegistries,
    private readonly resolver: RepositoryResolver,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The cache\'s state', description: 'Store kind, entries and bytes, Redis availability, and hit/miss/stale counts per route.' })
  @ApiOkResponse({ schema: cacheStatusSchema })
  async status(): Promise<{ store: string; entries: number; bytes: number; redis?: CacheServicesStatus['redis']; routes: RouteCacheReport[] }> {
    const [{ entries, bytes }, services] = await Promise.all([this.cache.store.stats(), this.cache.status()]);
    return {
      store: this.cache.store.kind,
      entries,
      bytes,
      ...(services.redis ? { redis: services.redis } : {}),
      routes: this.registries.report(),
    };
  }

  /**
   * Purges one repository (its manifests, tags, lists and referrers, under the backend and
   * upstream name it routes to). `repository` is required: a purge of everything is a restart.
   */
  @Delete()
  @ApiOperation({ summary: 'Purge one repository from the cache', description: 'Its manifests, tags, lists and referrers, under the backend and upstream name it routes to.' })
  @ApiQuery({ name: 'repository', required: true, description: 'The client-facing repository name', example: 'hub/library/redis' })
  @ApiOkResponse({ schema: cachePurgeSchema })
  @ApiBadRequestResponse({ description: 'No repository given, or an invalid name (NAME_INVALID)', schema: ociErrorSchema })
  @ApiNotFoundResponse({ description: 'No route for the repository (NAME_UNKNOWN)', schema: ociErrorSchema })
  async purge(@Query('repository') repository: unknown): Promise<{ repository: string; backend: string; removed: number }> {
    if (typeof repository !== 'string' || repository === '') {
      throw new OciError('NAME_INVALID', 'the repository query parameter is required', { detail: { parameter: 'repository' } });
    }
    const repo = this.resolver.resolve(repository);
    const removed = await this.cache.store.deletePrefix(cacheKeys.repositoryPrefix(repo.backendName, repo.upstreamName));
    return { repository, backend: repo.backendName, removed };
  }
}
