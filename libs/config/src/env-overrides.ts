/** One `GANTRY_<PATH>` variable and the part of the configuration it introduced. */
export interface EnvOverride {
  variable: string;
  /** The key path the variable sets, e.g. `['server', 'logLevel']`. */
  path: string[];
  /**
   * The shortest path the variable created or replaced: an error anywhere below it comes from
   * this variable (`GANTRY_BACKENDS__NEW__TYPE` creates `backends.new`, so a missing
   * `backends.new.path` is its doing too).
   */
  introduced: string[];
}

/**
 * Applies `GANTRY_<PATH>` variables to the raw configuration: `__` separates path segments and
 * `_` inside a segment marks the next letter upper case (`LOG_LEVEL` -> `logLevel`); a segment
 * matches an existing key case-insensitively. `GANTRY_CONFIG` names the file and is skipped.
 */
export function applyEnvOverrides(target: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvOverride[] {
  const applied: EnvOverride[] = [];
  // Code-point order: the same on every machine, and no collation (ICU) data paged in at start-up.
  for (const [variable, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!variable.startsWith('GANTRY_') || variable === 'GANTRY_CONFIG' || value === undefined) continue;
    const segments = variable.slice('GANTRY_'.length).split('__').map(envSegmentToKey);
    const path: string[] = [];
    let introduced: string[] | undefined;
    let node: Record<string, unknown> = target;
    for (const segment of segments.slice(0, -1)) {
      const key = findKey(node, segment);
      path.push(key);
      if (typeof node[key] !== 'object' || node[key] === null) {
        node[key] = {};
        introduced ??= [...path];
      }
      node = node[key] as Record<string, unknown>;
    }
    const last = findKey(node, segments[segments.length - 1]!);
    path.push(last);
    node[last] = coerce(value);
    applied.push({ variable, path, introduced: introduced ?? path });
  }
  return applied;
}

/**
 * The variable a validation issue at `issuePath` comes from, if any: the one that set that key
 * (or a key above it), else the one that created the node it sits in. An unrecognised key is
 * reported at its parent: `keys` names the children the issue is about.
 */
export function overrideBehind(overrides: readonly EnvOverride[], issuePath: readonly PropertyKey[], keys: readonly string[] = []): EnvOverride | undefined {
  const candidates = keys.length > 0 ? keys.map((k) => [...issuePath, k]) : [issuePath];
  const blames = (prefix: readonly PropertyKey[]): boolean => candidates.some((path) => isPrefix(prefix, path));
  return overrides.find((o) => blames(o.path)) ?? overrides.find((o) => blames(o.introduced));
}

function isPrefix(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));
}

/** `PUBLIC_URL` -> `publicUrl`. */
function envSegmentToKey(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function findKey(node: Record<string, unknown>, wanted: string): string {
  return Object.keys(node).find((k) => k.toLowerCase() === wanted.toLowerCase()) ?? wanted;
}

function coerce(value: string): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^-?\d+$/.test(value)) return Number(value);
  return value;
}
