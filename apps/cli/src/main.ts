/**
 * `gantry`: the command line of Gantry (bin/gantry.js runs this file on Node 24).
 * Exit codes: 0 done, 1 failed, 2 bad arguments or configuration.
 */
import { type Command, CommanderError } from 'commander';
import { CliError, EXIT } from './cli-error';
import type { CliContext } from './cli-context';
import { createProgram } from './program';
import { processTerminal, type Terminal } from './terminal';

/** Commander's own exits that are not errors: --help, --version. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

export async function runCli(argv: readonly string[], terminal: Terminal): Promise<number> {
  const ctx: CliContext = { terminal, exitCode: EXIT.ok };
  const program = createProgram(ctx);
  let commandName = 'gantry';
  program.hook('preAction', (_root, action) => {
    commandName = `gantry ${fullName(action)}`;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message and the usage; a usage error is exit 2, as in every gantry program.
      if (CLEAN_EXITS.has(err.code) && err.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      terminal.err(`${commandName}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** `robot create` for the `create` command under `robot`. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Runs `gantry` on this process's arguments and sets its exit code (bin/gantry.js calls this). */
export function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  return runCli(argv, processTerminal()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`gantry: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}

if (require.main === module) void main();
