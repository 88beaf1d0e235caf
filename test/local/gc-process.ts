import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { GcReport } from '#registry';

const GC = resolve(__dirname, '../../apps/gateway/src/gc-command.js');

/** One line of `gantry gc` output: the backend it collected and what it did. */
export type GcLine = GcReport & { backend: string; path: string; error?: string };

export interface GcRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON lines of stdout, one per local backend. */
  reports: GcLine[];
}

/** Runs the built `gantry gc` command as its own process on the test's Node binary. */
export function runGc(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<GcRun> {
  return new Promise((res, reject) => {
    const child = spawn(process.execPath, [GC, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const reports = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as GcLine);
      res({ code, stdout, stderr, reports });
    });
  });
}

/** Writes a gantry.yaml for the gc command (the gateway's own config lives in startGateway's temp dir). */
export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'gantry-gc.yaml');
  writeFileSync(file, stringify(config));
  return file;
}
