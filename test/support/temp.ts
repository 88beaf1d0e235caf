import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `gantry-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A port the kernel just handed out; good enough for test processes on loopback. */
/**
 * A port for a test server, below Linux's ephemeral range (32768–60999): ports from `listen(0)`
 * come from that range, where a just-released one may be handed to any other process's
 * outgoing connection or `listen(0)` before our server binds it (a gateway once found a
 * distribution on its port and answered nothing). Random picks from 20000–32767, each checked
 * free, make such a collision between parallel test files very unlikely.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = TEST_PORTS_FROM + Math.floor(Math.random() * (TEST_PORTS_TO - TEST_PORTS_FROM));
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found in 50 tries');
}

const TEST_PORTS_FROM = 20000;
const TEST_PORTS_TO = 32767;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
