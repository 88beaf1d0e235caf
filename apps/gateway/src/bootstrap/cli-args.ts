import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** A command line of one of Gantry's programs (the server, gc). */
export interface Command {
  /** `gantry`, `gantry gc`: the prefix of every message. */
  name: string;
  usage: string;
  /** The command's own flags; `--config`, `--help` and `--version` are added to every command. */
  options: ParseArgsOptionsConfig;
}

const COMMON_OPTIONS = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

/** Flag values by long name: a string for `type: 'string'`, true for a boolean flag given. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export type CommandLine =
  | { action: 'run'; values: FlagValues; configPath: string | undefined }
  /** Print `text` to stdout (`code` 0) or stderr (`code` 2) and exit with `code`. */
  | { action: 'exit'; code: number; text: string };

/**
 * Parses `argv` strictly (an unknown flag or a stray argument is a usage error, exit 2).
 * `--config path` wins over `GANTRY_CONFIG`; neither means the embedded defaults.
 */
export function parseCommandLine(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  let values: FlagValues;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { ...command.options, ...COMMON_OPTIONS }, strict: true, allowPositionals: false }));
  } catch (err) {
    return { action: 'exit', code: 2, text: `${command.name}: ${(err as Error).message}\n${command.usage}\n` };
  }
  if (values.help) return { action: 'exit', code: 0, text: `${command.usage}\n` };
  if (values.version) return { action: 'exit', code: 0, text: `gantry ${packageVersion()}\n` };
  if (values.config === '') return { action: 'exit', code: 2, text: `${command.name}: --config needs a path\n${command.usage}\n` };
  const configPath = typeof values.config === 'string' ? values.config : env.GANTRY_CONFIG || undefined;
  return { action: 'run', values, configPath };
}

/** The version in Gantry's package.json, found above this file (in the sources or in dist/). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gantry' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
