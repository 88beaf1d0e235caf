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

/** An admin API answer that was not 2xx: its status and OCI error code, for commands that can act on them. */
export class AdminRequestError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'AdminRequestError';
  }
}
