import { loadConfig, type GantryConfig } from '#config';
import { parseCommandLine, type Command } from './cli-args';

/**
 * The start of both programs (gateway and worker): their command line, then the configuration.
 * `undefined`: the command line asked for help or the version, which is printed (exit code set).
 * A bad configuration ends the process with exit 2 and one line naming the key.
 */
export function startupConfig(command: Command): GantryConfig | undefined {
  const cli = parseCommandLine(command, process.argv.slice(2), process.env);
  if (cli.action === 'exit') {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.text);
    process.exitCode = cli.code;
    return undefined;
  }
  try {
    return loadConfig({ file: cli.configPath });
  } catch (err) {
    return failStartup(command, 2, (err as Error).message);
  }
}

/** One line on stderr, no stack: the operator can act on the message alone. */
export function failStartup(command: Command, code: number, message: string): never {
  process.stderr.write(`${command.name}: ${message}\n`);
  process.exit(code);
}
