import type { RouteTable } from '#routing';
import { matchV2Route, type V2Route } from '../v2/v2-routes';
import type { RequestRoute } from './gantry-metrics';

export interface ClassifiedRequest {
  route: RequestRoute;
  /** Backend name, or `none`. */
  backend: string;
  /** The matching route's prefix, for the cache metric (undefined without a repository). */
  routePrefix: string | undefined;
}

const NONE: Omit<ClassifiedRequest, 'route'> = { backend: 'none', routePrefix: undefined };

/**
 * A request URL to its label values: the kind of v2 resource and the backend, never the name.
 * `matched` is the route the v2 controller found (null: none), when it saw the request.
 */
export function classifyRequest(url: string, routes: RouteTable, matched?: V2Route | null): ClassifiedRequest {
  if (matched !== undefined) return classifyV2(matched, routes);
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path === '/v2' || path.startsWith('/v2/')) return classifyV2(matchV2Route(path.slice(4)) ?? null, routes);
  if (path === '/token') return { route: 'token', ...NONE };
  if (path === '/admin' || path.startsWith('/admin/')) return { route: 'admin', ...NONE };
  if (path === '/healthz' || path === '/readyz') return { route: 'health', ...NONE };
  if (path === '/metrics') return { route: 'metrics', ...NONE };
  return { route: 'other', ...NONE };
}

function classifyV2(v2: V2Route | null, routes: RouteTable): ClassifiedRequest {
  if (!v2) return { route: 'other', ...NONE };
  if (!('name' in v2)) return { route: v2.kind, ...NONE };
  const route = v2.kind === 'upload-start' ? 'upload' : v2.kind;
  try {
    const resolved = routes.resolve(v2.name);
    return { route, backend: resolved.backend, routePrefix: resolved.rule.prefix };
  } catch {
    return { route, ...NONE };
  }
}
