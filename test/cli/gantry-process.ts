import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The launcher users run (`gantry`, `npx gantry`): it runs the built CLI in dist/apps/cli. */
export const GANTRY_BIN = resolve(__dirname, '../../../bin/gantry.js');

export interface GantryRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `gantry args…` through bin/gantry.js on the test's Node, stdout and stderr piped (so never
 * a terminal: progress comes as JSON lines). GANTRY_* variables of the caller's environment are
 * dropped so that the test's own settings are the only ones.
 */
export function runGantry(args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; cwd?: string } = {}): Promise<GantryRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GANTRY_')));
  return new Promise((res, reject) => {
    const child = spawn(process.execPath, [GANTRY_BIN, ...args], {
      cwd: options.cwd,
      env: { ...inherited, ...options.env },
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => res({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  });
}

/** stdout as JSON lines (the non-terminal output of gc and replicate). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
