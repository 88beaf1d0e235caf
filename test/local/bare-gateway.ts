import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, waitFor } from '../support/temp';

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');

export interface BareGateway {
  url: string;
  host: string;
  /** Everything the process printed. */
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the built gateway with no config file at all (the embedded defaults) in `cwd`, so
 * `./data` lands there. Only the listen address is overridden, through the environment.
 */
export async function startBareGateway(cwd: string, env: NodeJS.ProcessEnv = {}): Promise<BareGateway> {
  const host = `127.0.0.1:${await freePort()}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GANTRY_')));
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { ...inherited, GANTRY_SERVER__LISTEN: host, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
  let dead = false;
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  void exited.then(() => (dead = true));
  try {
    await waitFor(`bare gateway on ${host}`, async () => {
      if (dead) throw new Error('gateway exited');
      return logs.join('').includes('Gantry listening');
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${logs.join('')}`, { cause: err });
  }
  return {
    url: `http://${host}`,
    host,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!dead) child.kill(signal);
      return exited;
    },
  };
}
