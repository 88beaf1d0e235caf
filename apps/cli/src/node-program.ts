import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Runs a built Node program of Gantry as a child on this same Node binary, with its output on
 * ours, and resolves with its exit code (128 + n when a signal ended it).
 *
 * SIGTERM and SIGHUP (`docker stop`, `kill`, a supervisor) reach only this process, so they are
 * passed on. SIGINT is not: Ctrl-C on a terminal already reaches the whole process group, and a
 * second SIGINT would cut the child's graceful shutdown short.
 */
export function runNodeProgram(script: string, nodeFlags: readonly string[], args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
    const handlers = { SIGTERM: forward('SIGTERM'), SIGHUP: forward('SIGHUP'), SIGINT: () => undefined };
    for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
    const cleanUp = () => {
      for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
    };
    child.once('error', (err) => {
      cleanUp();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      cleanUp();
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
