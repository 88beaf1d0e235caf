import { Inject, Injectable } from '@nestjs/common';
import { assertValidName, OciError } from '#oci';
import type { Registry } from '#registry';
import { RouteTable } from '#routing';
import { BACKENDS } from '../bootstrap/tokens';

export interface ResolvedRepository {
  /** The client-facing name. */
  name: string;
  backendName: string;
  registry: Registry;
  /** The name as the backend knows it. */
  upstreamName: string;
}

/** Step 2 of the request path: a validated repository name to its backend and upstream name. */
@Injectable()
export class RepositoryResolver {
  constructor(
    private readonly routes: RouteTable,
    @Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>,
  ) {}

  resolve(name: string): ResolvedRepository {
    assertValidName(name);
    const route = this.routes.resolve(name);
    const registry = this.backends.get(route.backend);
    if (!registry) throw new OciError('NAME_UNKNOWN', `backend ${route.backend} is not available`);
    return { name, backendName: route.backend, registry, upstreamName: route.upstreamName };
  }
}
