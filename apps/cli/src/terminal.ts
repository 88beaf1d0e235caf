/** Where a command writes: stdout for results (pipe-able), stderr for messages and progress bars. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: render for people (bars, tables) rather than JSON lines. */
  readonly interactive: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** All of standard input (for `--password-stdin`). */
  readStdin(): Promise<string>;
}

export function processTerminal(): Terminal {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    interactive: process.stdout.isTTY === true,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
