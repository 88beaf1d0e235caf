import { Injectable } from '@nestjs/common';
import { assertValidName, OciError } from '#oci';
import type { Registry } from '#registry';
import { RouteTable } from '#routing';
import { RouteRegistries } from './route-registries';

export interface ResolvedRepository {
  /** The client-facing name. */
  name: string;
  backendName: string;
  /** The route's Registry: the backend, behind the cache decorator when the route caches. */
  registry: Registry;
  /** The name as the backend knows it. */
  upstreamName: string;
}

/** Step 2 of the request path: a validated repository name to its backend and upstream name. */
@Injectable()
export class RepositoryResolver {
  constructor(
    private readonly routes: RouteTable,
    private readonly registries: RouteRegistries,
  ) {}

  resolve(name: string): ResolvedRepository {
    assertValidName(name);
    const route = this.routes.resolve(name);
    const registry = this.registries.forRule(route.rule);
    if (!registry) throw new OciError('NAME_UNKNOWN', `backend ${route.backend} is not available`);
    return { name, backendName: route.backend, registry, upstreamName: route.upstreamName };
  }
}
