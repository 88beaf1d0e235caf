import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, tempDir, waitFor } from './temp';
import { requireTool } from './tools';

export interface RedisProcess {
  url: string;
  port: number;
  /** kill -9: Redis vanishes mid-run. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A real redis-server of the test's own, on a free loopback port, with no persistence. */
export async function startRedis(): Promise<RedisProcess> {
  const binary = requireTool('redis-server');
  const dir = tempDir('redis');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const logs: string[] = [];
  const launch = async (): Promise<void> => {
    child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir.path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    const proc = child;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    try {
      await waitFor(`redis-server on ${port}`, () => ping(port));
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${logs.join('')}`, { cause: err });
    }
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      child?.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await launch();
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited;
      dir.remove();
    },
  };
}

/** True when something on `port` answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
  });
}
