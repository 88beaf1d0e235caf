/** Exit codes of every `gantry` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure the user can act on: one line on stderr (prefixed with the command), no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
