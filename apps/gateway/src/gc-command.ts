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
import type { GcOptions } from '#registry';
import { parseCommandLine, type Command } from './bootstrap/cli-args';
import { collectLocalBackends } from './gc/collect-local-backends';
import { gcOptionsOf, GcUsageError } from './gc/gc-flags';

const GC_COMMAND: Command = {
  name: 'gantry gc',
  options: { 'dry-run': { type: 'boolean' }, verify: { type: 'boolean' }, 'grace-seconds': { type: 'string' } },
  usage: `usage: gantry gc [--dry-run] [--verify] [--grace-seconds N] [--config path]
Removes manifests and blobs no tag reaches from every type: local backend.

  --dry-run           report what would be removed, remove nothing
  --verify            re-hash every blob and remove corrupt ones
  --grace-seconds N   keep anything modified in the last N seconds (default 3600)
  --config path       the configuration file (default: $GANTRY_CONFIG, else the embedded defaults)
  -h, --help          print this help and exit
  --version           print the version and exit`,
};

async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCommandLine(GC_COMMAND, argv, process.env);
  if (cli.action === 'exit') {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.text);
    return cli.code;
  }
  let options: GcOptions;
  let config: GantryConfig;
  try {
    options = gcOptionsOf(cli.values);
    config = loadConfig({ file: cli.configPath });
  } catch (err) {
    const hint = err instanceof GcUsageError ? `\n${GC_COMMAND.usage}` : '';
    process.stderr.write(`gantry gc: ${(err as Error).message}${hint}\n`);
    return 2;
  }
  // One line per backend, as before the progress events existed (`gantry gc` renders those).
  const ok = await collectLocalBackends(config, options, (event) => {
    if (event.event === 'progress') return;
    const { event: _kind, ...line } = event;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  });
  return ok ? 0 : 1;
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
