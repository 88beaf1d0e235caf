import type { Terminal } from './terminal';

/** Shared by the commands of one run: where to write, and the exit code to end with. */
export interface CliContext {
  terminal: Terminal;
  exitCode: number;
}
