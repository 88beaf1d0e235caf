import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../../apps/gateway/src/bootstrap/node-flags';
import { freePort, tempDir, waitFor } from './temp';

export interface GatewayProcess {
  url: string;
  host: string;
  pid: number;
  /** Everything the process printed (structured logs). */
  logs: string[];
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');

/**
 * Starts the built gateway as its own process with `config` (server.listen is filled in) on the
 * same Node binary that runs the tests, with the Node options production starts it with.
 */
export async function startGateway(config: Record<string, unknown>, options: { env?: NodeJS.ProcessEnv; port?: number } = {}): Promise<GatewayProcess> {
  const dir = tempDir('gateway');
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const server = {
    logLevel: 'info',
    uploadSessions: { store: 'file', path: join(dir.path, 'upload-sessions') },
    ...((config.server as object | undefined) ?? {}),
    listen: host,
  };
  const configPath = join(dir.path, 'gantry.yaml');
  writeFileSync(configPath, stringify({ ...config, server }));
  const logs: string[] = [];
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, MAIN, '--config', configPath], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = `http://${host}`;
  let dead = false;
  let stopping: Promise<number | null> | undefined;
  void exited.then(() => (dead = true));
  try {
    // A Gantry answer (its cache header), not just any answer: another server may hold the port.
    await waitFor(`gateway on ${host}`, async () => {
      if (dead) throw new Error('gateway exited');
      return (await fetch(`${url}/v2/`)).headers.has('x-gantry-cache');
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${logs.join('')}`, { cause: err });
  }
  return {
    url, host, pid: child.pid!, logs,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      // Idempotent: a second signal would cut a graceful shutdown short.
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
