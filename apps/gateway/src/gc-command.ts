/**
 * `gantry gc [--dry-run] [--verify] [--grace-seconds N] [--config path]`: garbage-collects every
 * `type: local` backend of the configuration (same rules as the server: `--config`, then
 * `GANTRY_CONFIG`, then the embedded defaults) and prints one JSON line per backend.
 *
 * Safe while the gateway runs: nothing younger than the grace period is deleted and upload
 * sessions are never touched (see `collectGarbage`).
 *
 * Exit codes: 0 done, 1 a backend failed, 2 bad arguments or configuration.
 */
import { loadConfig, type GantryConfig } from '#config';
import { collectGarbage, type GcOptions } from '#registry';
import { configPathFrom } from './bootstrap/cli-args';

const USAGE = 'usage: gantry gc [--dry-run] [--verify] [--grace-seconds N] [--config path]';

class UsageError extends Error {}

/** The gc flags; `--config` is read by `configPathFrom` and only skipped here. */
function parseGcArgs(argv: readonly string[]): GcOptions {
  const options: GcOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    switch (flag) {
      case '--dry-run':
        options.dryRun = true;
        break;
      case '--verify':
        options.verify = true;
        break;
      case '--grace-seconds': {
        const value = inline ?? argv[++i];
        if (value === undefined || !/^\d+$/.test(value)) throw new UsageError(`--grace-seconds needs a whole number of seconds, got ${value ?? 'nothing'}`);
        options.graceSeconds = Number(value);
        break;
      }
      case '--config':
        if (inline === undefined) i++;
        break;
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  return options;
}

function localBackends(config: GantryConfig): { name: string; path: string }[] {
  return Object.entries(config.backends).flatMap(([name, backend]) => (backend.type === 'local' ? [{ name, path: backend.path }] : []));
}

async function main(argv: readonly string[]): Promise<number> {
  let options: GcOptions;
  let config: GantryConfig;
  try {
    options = parseGcArgs(argv);
    config = loadConfig({ file: configPathFrom(argv, process.env) });
  } catch (err) {
    const hint = err instanceof UsageError ? `\n${USAGE}` : '';
    process.stderr.write(`gantry gc: ${(err as Error).message}${hint}\n`);
    return 2;
  }
  let failed = false;
  for (const backend of localBackends(config)) {
    try {
      const report = await collectGarbage(backend.path, options);
      process.stdout.write(`${JSON.stringify({ backend: backend.name, path: backend.path, ...report })}\n`);
    } catch (err) {
      failed = true;
      process.stdout.write(`${JSON.stringify({ backend: backend.name, path: backend.path, error: (err as Error).message })}\n`);
    }
  }
  return failed ? 1 : 0;
}

void main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gantry gc: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
