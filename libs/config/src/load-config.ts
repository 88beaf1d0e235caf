import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveConfigPaths, unreadableTlsFiles } from './config-paths';
import { applyEnvOverrides, overrideBehind, type EnvOverride } from './env-overrides';
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
 * Reads gantry.yaml, applies `GANTRY_<PATH>` environment overrides (see `applyEnvOverrides`),
 * resolves every `<key>File` secret into `<key>`, validates, and makes filesystem paths absolute
 * against the config file's directory. Every error names the offending key, and the variable
 * when an environment override introduced it.
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
  const overrides = applyEnvOverrides(raw as Record<string, unknown>, env);
  const baseDir = options.file ? dirname(resolve(options.file)) : undefined;
  const secretIssues: Issue[] = [];
  resolveSecretFiles(raw, [], baseDir ?? process.cwd(), secretIssues);
  if (secretIssues.length > 0) throw invalid(source, secretIssues, overrides);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw invalid(source, result.error.issues.map((i) => ({ path: i.path, message: i.message, keys: i.code === 'unrecognized_keys' ? i.keys : [] })), overrides);
  }
  const config = resolveConfigPaths(result.data, baseDir);
  const fileIssues = unreadableTlsFiles(config);
  if (fileIssues.length > 0) throw invalid(source, fileIssues, overrides);
  return config;
}

interface Issue {
  path: readonly PropertyKey[];
  message: string;
  /** The keys an "unrecognized key" issue at `path` is about. */
  keys?: readonly string[];
}

/** One line per issue; an issue an environment variable introduced is prefixed with its name. */
function invalid(source: string, issues: readonly Issue[], overrides: readonly EnvOverride[]): ConfigError {
  const lines = issues.map((issue) => {
    const override = overrideBehind(overrides, issue.path, issue.keys);
    return { fromEnv: override !== undefined, text: `  ${override ? `${override.variable}: ` : ''}${formatPath(issue.path)}: ${issue.message}` };
  });
  const header = lines.every((l) => l.fromEnv) ? 'invalid configuration from the environment' : `${source}: invalid configuration`;
  return new ConfigError(`${header}:\n${lines.map((l) => l.text).join('\n')}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The secrets that may come from a file: `<secret>File: path` becomes `<secret>: contents`. */
const SECRET_KEYS = new Set(['password', 'secretAccessKey', 'sessionToken', 'clientSecret']);

function secretKeyOf(key: string): string | undefined {
  const target = key.endsWith('File') ? key.slice(0, -'File'.length) : undefined;
  return target && SECRET_KEYS.has(target) ? target : undefined;
}

function resolveSecretFiles(node: unknown, path: string[], baseDir: string, issues: Issue[]): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const target = secretKeyOf(key);
    if (target && typeof value === 'string') {
      try {
        record[target] = readFileSync(resolve(baseDir, value), 'utf8').replace(/\r?\n$/, '');
        delete record[key];
      } catch (err) {
        issues.push({ path: [...path, key], message: `cannot read secret file: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
      }
    } else {
      resolveSecretFiles(value, [...path, key], baseDir, issues);
    }
  }
}
