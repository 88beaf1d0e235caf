import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { GATEWAY_NODE_FLAGS, WORKER_NODE_FLAGS } from '../../../gateway/src/bootstrap/node-flags';
import { CliError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { runNodeProgram } from '../node-program';

/** The built entry points beside this one in dist/apps/. */
const GATEWAY_MAIN = resolve(__dirname, '../../../gateway/src/main.js');
const WORKER_MAIN = resolve(__dirname, '../../../worker/src/main.js');

const CONFIG_HELP = 'the configuration file (default: $GANTRY_CONFIG; neither: embedded defaults)';

/** `gantry serve` and `gantry worker`: the long-running processes, started as `npm start` starts the gateway. */
export function registerProcessCommands(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the gateway (what npm start runs)')
    .option('--config <path>', CONFIG_HELP)
    .action(async (flags: { config?: string }) => {
      ctx.exitCode = await runNodeProgram(GATEWAY_MAIN, GATEWAY_NODE_FLAGS, configArgs(flags));
    });

  program
    .command('worker')
    .description('run a replication worker (BullMQ; needs redis in the configuration)')
    .option('--config <path>', CONFIG_HELP)
    .action(async (flags: { config?: string }) => {
      if (!existsSync(WORKER_MAIN)) {
        throw new CliError(`the replication worker is not built: ${WORKER_MAIN} is missing (this build has no apps/worker; run npm run build in a checkout that has it)`);
      }
      ctx.exitCode = await runNodeProgram(WORKER_MAIN, WORKER_NODE_FLAGS, configArgs(flags));
    });
}

function configArgs(flags: { config?: string }): string[] {
  return flags.config === undefined ? [] : ['--config', flags.config];
}
