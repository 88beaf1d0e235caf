import { OciError } from '#oci';

export interface RouteRule {
  prefix: string;
  backend: string;
  upstreamPrefix: string;
}

export interface ResolvedRoute {
  rule: RouteRule;
  backend: string;
  /** The repository name as the backend knows it. */
  upstreamName: string;
}

/** Ordered routes; the first whose prefix matches a name wins. */
export class RouteTable {
  constructor(private readonly rules: readonly RouteRule[]) {}

  get all(): readonly RouteRule[] {
    return this.rules;
  }

  resolve(name: string): ResolvedRoute {
    const rule = this.rules.find((r) => name.startsWith(r.prefix) && name.length > r.prefix.length);
    if (!rule) throw new OciError('NAME_UNKNOWN', `no route for repository ${name}`, { detail: { name } });
    return { rule, backend: rule.backend, upstreamName: rule.upstreamPrefix + name.slice(rule.prefix.length) };
  }

  /**
   * The client-facing name for an upstream repository listed by `rule`'s backend, or undefined
   * when that name is outside the rule or would be routed elsewhere (first match wins).
   */
  publicName(rule: RouteRule, upstreamName: string): string | undefined {
    if (!upstreamName.startsWith(rule.upstreamPrefix)) return undefined;
    const name = rule.prefix + upstreamName.slice(rule.upstreamPrefix.length);
    try {
      return this.resolve(name).rule === rule ? name : undefined;
    } catch {
      return undefined;
    }
  }
}
