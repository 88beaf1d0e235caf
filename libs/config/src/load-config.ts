import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type GantryConfig } from './schema';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * With no file at all, Gantry is a registry of its own: `hub/...` pulls through Docker Hub and
 * every other name is stored locally under ./data.
 */
export function embeddedDefaults(): unknown {
  return {
    backends: { hub: { type: 'dockerhub' }, local: { type: 'local', path: './data' } },
    routes: [
      { prefix: 'hub/', backend: 'hub' },
      { prefix: '', backend: 'local' },
    ],
  };
}

export interface LoadOptions {
  /** Path of gantry.yaml; undefined = embedded defaults. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads gantry.yaml, applies `GANTRY_<PATH>` environment overrides (path segments joined by
 * `__`, e.g. `GANTRY_SERVER__LISTEN`), resolves every `<key>File` secret into `<key>`, and
 * validates. Every error names the offending key.
 */
export function loadConfig(options: LoadOptions = {}): GantryConfig {
  const env = options.env ?? process.env;
  const source = options.file ?? 'embedded defaults';
  let raw: unknown;
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${options.file}: cannot read: ${(err as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`${options.file}: invalid YAML: ${(err as Error).message}`);
    }
  } else {
    raw = embeddedDefaults();
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: must be a mapping`);
  applyEnvOverrides(raw as Record<string, unknown>, env);
  resolveSecretFiles(raw, [], options.file ? dirname(resolve(options.file)) : process.cwd(), source);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`${source}: invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function applyEnvOverrides(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('GANTRY_') || key === 'GANTRY_CONFIG' || value === undefined) continue;
    const segments = key.slice('GANTRY_'.length).split('__').map(envSegmentToKey);
    let node: Record<string, unknown> = target;
    for (const segment of segments.slice(0, -1)) {
      const next = findKey(node, segment);
      if (typeof node[next] !== 'object' || node[next] === null) node[next] = {};
      node = node[next] as Record<string, unknown>;
    }
    const last = findKey(node, segments[segments.length - 1]!);
    node[last] = coerce(value);
  }
}

/** `PUBLIC_URL` -> `publicUrl`; existing keys are matched case-insensitively. */
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

/** The secrets that may come from a file: `<secret>File: path` becomes `<secret>: contents`. */
const SECRET_KEYS = new Set(['password', 'secretAccessKey', 'sessionToken', 'clientSecret']);

function secretKeyOf(key: string): string | undefined {
  const target = key.endsWith('File') ? key.slice(0, -'File'.length) : undefined;
  return target && SECRET_KEYS.has(target) ? target : undefined;
}

function resolveSecretFiles(node: unknown, path: string[], baseDir: string, source: string): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const target = secretKeyOf(key);
    if (target && typeof value === 'string') {
      try {
        record[target] = readFileSync(resolve(baseDir, value), 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new ConfigError(`${source}: ${[...path, key].join('.')}: cannot read secret file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      delete record[key];
    } else {
      resolveSecretFiles(value, [...path, key], baseDir, source);
    }
  }
}
