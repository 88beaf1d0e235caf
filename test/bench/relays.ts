import { spawn, type ChildProcess } from 'node:child_process';
import { GATEWAY_NODE_FLAGS } from '../../apps/gateway/src/bootstrap/node-flags';
import { freePort, waitFor } from '../support/temp';

export interface Relay {
  url: string;
  pid: number;
  stop(): void;
}

/**
 * A bare TCP relay in its own Node process: no HTTP parsing, just socket to socket, reading the
 * upstream in 1 MiB steps (`onread` with a fresh buffer per read; a plain pipe reads 64 KiB).
 * It is the ceiling any Node proxy can reach on this machine.
 */
export function startTcpRelay(targetPort: number): Promise<Relay> {
  return startProgram((port) => `
const net = require('net');
net.createServer((c) => {
  let u;
  u = net.connect({ port: ${targetPort}, host: '127.0.0.1', onread: {
    buffer: () => Buffer.allocUnsafe(1024 * 1024),
    callback: (n, buf) => { if (!c.write(buf.subarray(0, n))) { u.pause(); c.once('drain', () => u.resume()); } },
  } });
  c.pipe(u);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  c.on('close', () => u.destroy()); u.on('end', () => c.end());
}).listen(${port}, '127.0.0.1');`);
}

/** A bare `node:http` server relaying to a `node:http` client: Node's HTTP stack and nothing else. */
export function startHttpRelay(targetPort: number): Promise<Relay> {
  return startProgram((port) => `
const http = require('http');
const agent = new http.Agent({ keepAlive: true });
http.createServer((req, res) => {
  const u = http.request({ host: '127.0.0.1', port: ${targetPort}, path: req.url, method: req.method, headers: req.headers, agent }, (up) => {
    res.writeHead(up.statusCode, up.headers);
    up.pipe(res);
  });
  u.on('error', () => res.destroy());
  res.on('close', () => u.destroy());
  req.pipe(u);
}).listen(${port}, '127.0.0.1');`);
}

/**
 * The gateway's HTTP client (undici, 64 KiB body buffers as the gateway sets them) relaying
 * into a `node:http` response: what any Node proxy built on undici holds per stream, without
 * Gantry.
 */
export function startUndiciRelay(targetPort: number): Promise<Relay> {
  return startProgram((port) => `
const http = require('http');
const { Pool } = require(${JSON.stringify(require.resolve('undici'))});
const upstream = new Pool('http://127.0.0.1:${targetPort}');
http.createServer(async (req, res) => {
  try {
    const up = await upstream.request({ path: req.url, method: req.method, highWaterMark: 64 * 1024 });
    res.writeHead(up.statusCode, { 'content-length': up.headers['content-length'] });
    res.on('close', () => up.body.destroy());
    up.body.pipe(res);
  } catch {
    res.destroy();
  }
}).listen(${port}, '127.0.0.1');`);
}

/** Runs `program` in its own Node process with the gateway's Node flags, so memory compares alike. */
async function startProgram(program: (port: number) => string): Promise<Relay> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '-e', program(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`relay on ${port}`, async () => (await fetch(`${url}/v2/`)).status > 0);
  return { url, pid: child.pid!, stop: () => child.kill() };
}
