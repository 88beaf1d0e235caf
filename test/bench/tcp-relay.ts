import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitFor } from '../support/temp';
import { connect } from 'node:net';

/**
 * A bare TCP relay in its own Node process: no HTTP parsing, no routing, just socket to socket.
 * It is the ceiling any Node proxy can reach on this machine, the yardstick for the gateway's
 * own overhead when a native upstream is faster than Node's socket I/O.
 */
export async function startTcpRelay(targetPort: number): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const program = `require('net').createServer((c) => { const u = require('net').connect(${targetPort}, '127.0.0.1'); c.pipe(u); u.pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); }).listen(${port}, '127.0.0.1')`;
  const child: ChildProcess = spawn(process.execPath, ['-e', program], { stdio: 'ignore' });
  await waitFor('tcp relay', () => new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  }));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}
