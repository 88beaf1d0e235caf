import { spawn } from 'node:child_process';
import { WORKER_NODE_FLAGS } from '../../apps/gateway/src/bootstrap/node-flags';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort, tempDir, waitFor } from './temp';

export interface WorkerProcess {
  pid: number;
  /** Its own listener (`replication.workerListen`): http://127.0.0.1:port, for /metrics and /healthz. */
  url: string;
  /** Everything the process printed (structured logs). */
  logs: string[];
  /** Sends `signal` (SIGTERM: graceful) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = resolve(__dirname, '../../apps/worker/src/main.js');

function writeConfig(config: Record<string, unknown>): { dir: ReturnType<typeof tempDir>; path: string } {
  const dir = tempDir('worker');
  const path = join(dir.path, 'gantry.yaml');
  writeFileSync(path, stringify({ ...config, server: { logLevel: 'info', ...((config.server as object | undefined) ?? {}) } }));
  return { dir, path };
}

/**
 * Starts the built replication worker (`npm run worker`) as its own process, waiting until its workers run.
 * Its listener goes on a free port unless the config names one (several workers run side by side).
 */
export async function startWorker(config: Record<string, unknown>): Promise<WorkerProcess> {
  const replication = (config.replication ?? {}) as Record<string, unknown>;
  const workerListen = (replication.workerListen as string | undefined) ?? `127.0.0.1:${await freePort()}`;
  const { dir, path } = writeConfig({ ...config, replication: { ...replication, workerListen } });
  const logs: string[] = [];
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, MAIN, '--config', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let dead = false;
  let stopping: Promise<number | null> | undefined;
  void exited.then(() => (dead = true));
  try {
    await waitFor(`worker ${child.pid}`, async () => {
      if (dead) throw new Error('worker exited');
      return logs.join('').includes('Gantry worker running');
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${logs.join('')}`, { cause: err });
  }
  return {
    pid: child.pid!,
    url: `http://${workerListen}`,
    logs,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping ??= (async () => {
        if (!dead) child.kill(signal);
        const code = await exited;
        dir.remove();
        return code;
      })();
      return stopping;
    },
  };
}

/** Runs a program of Gantry (`gateway` or `worker`) with `config` until it exits by itself: its code and stderr. */
export async function runUntilExit(program: 'gateway' | 'worker', config: Record<string, unknown>): Promise<{ code: number | null; stderr: string }> {
  const { dir, path } = writeConfig(config);
  const main = program === 'worker' ? MAIN : resolve(__dirname, '../../apps/gateway/src/main.js');
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, main, '--config', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A program that started instead of refusing would run forever: the test's timeout ends it.
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  dir.remove();
  return { code, stderr };
}
