import { Command } from 'commander';
import { packageVersion } from '../../gateway/src/bootstrap/cli-args';
import type { CliContext } from './cli-context';
import { registerConfigCommands } from './commands/config.command';
import { registerExplainCommand } from './commands/explain.command';
import { registerGcCommand } from './commands/gc.command';
import { registerProcessCommands } from './commands/process-commands';
import { registerReplicateCommand } from './commands/replicate.command';
import { registerRobotCommands } from './commands/robot.command';

const ENVIRONMENT_HELP = `
Environment:
  GANTRY_CONFIG     the configuration file of serve, worker and gc (--config wins)
  GANTRY_URL        the gateway the admin commands talk to (default http://127.0.0.1:5000)
  GANTRY_USER       the admin user of those commands
  GANTRY_PASSWORD   its password (or pipe it into --password-stdin; there is no password flag)

Exit codes: 0 done, 1 failed, 2 bad arguments or configuration.`;

/** The `gantry` command tree. Usage errors are not handled here: main.ts turns them into exit 2. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('gantry')
    .description('Gantry, one OCI registry endpoint in front of many: run it, check its configuration, operate it')
    .version(`gantry ${packageVersion()}`, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .addHelpText('after', ENVIRONMENT_HELP)
    .configureOutput({ writeOut: (text) => ctx.terminal.out(text), writeErr: (text) => ctx.terminal.err(text) })
    .showHelpAfterError()
    .exitOverride();

  registerProcessCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerGcCommand(program, ctx);
  registerReplicateCommand(program, ctx);
  registerExplainCommand(program, ctx);
  registerRobotCommands(program, ctx);
  program
    .command('version')
    .description('print the version of Gantry and of the Node running it')
    .action(() => ctx.terminal.out(`gantry ${packageVersion()} (node ${process.version})\n`));
  return program;
}
