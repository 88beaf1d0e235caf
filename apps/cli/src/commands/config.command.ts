import type { Command } from 'commander';
import { ConfigError, loadConfig } from '#config';
import { CliError, EXIT } from '../cli-error';
import type { CliContext } from '../cli-context';

/** `gantry config validate <file>`: the checks the gateway makes at start, without starting it. */
export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('work with gantry.yaml');
  config
    .command('validate')
    .description('check a configuration file as the gateway would load it (GANTRY_* overrides and secret files included); exit 2 naming each wrong key')
    .argument('<file>', 'the configuration file')
    .action((file: string) => {
      let loaded;
      try {
        loaded = loadConfig({ file, env: ctx.terminal.env });
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      const rules = loaded.replication?.rules.length ?? 0;
      ctx.terminal.out(
        `${file}: valid (${count(Object.keys(loaded.backends).length, 'backend')}, ${count(loaded.routes.length, 'route')}` +
          `${loaded.auth ? ', auth on' : ', no auth'}${rules > 0 ? `, ${count(rules, 'replication rule')}` : ''})\n`,
      );
    });
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
