import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { createSigningCertificate } from './certificate';
import { freePort, tempDir, waitFor } from './temp';
import { requireTool } from './tools';
import { startTokenServer, type TokenServer } from './token-server';

export type DistributionAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; users: Record<string, string>; anonymousPull?: boolean; expiresInSeconds?: number };

export interface Distribution {
  url: string;
  host: string;
  rootDir: string;
  tokenServer?: TokenServer;
  logs: string[];
  /** Stops the process (the registry is down, connections refused); its data and port are kept. */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** A real CNCF distribution 2.8 registry (Debian's docker-registry) on a free loopback port. */
export interface DistributionOptions {
  /** Runs it as a pull-through cache of another registry (distribution's `proxy.remoteurl`). */
  proxyRemoteUrl?: string;
}

export async function startDistribution(auth: DistributionAuth = { kind: 'none' }, options: DistributionOptions = {}): Promise<Distribution> {
  const binary = requireTool('docker-registry');
  const dir = tempDir('distribution');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let tokenServer: TokenServer | undefined;
  let authConfig = '';
  if (auth.kind === 'htpasswd') {
    const file = join(dir.path, 'htpasswd');
    writeFileSync(file, Object.entries(auth.users).map(([u, p]) => `${u}:${hashSync(p, 5)}`).join('\n') + '\n');
    authConfig = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${file}\n`;
  } else if (auth.kind === 'token') {
    const certificate = createSigningCertificate(dir.path);
    tokenServer = await startTokenServer({
      certificate, service: 'test-registry', issuer: 'gantry-test', users: auth.users,
      anonymousPull: auth.anonymousPull, expiresInSeconds: auth.expiresInSeconds,
    });
    authConfig = `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: test-registry\n    issuer: gantry-test\n    rootcertbundle: ${certificate.certPath}\n`;
  }
  const configPath = join(dir.path, 'config.yml');
  writeFileSync(configPath, [
    'version: 0.1',
    'log:\n  level: error\n  accesslog:\n    disabled: true',
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir.path, 'data')}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false`,
    `http:\n  addr: ${host}\n  secret: gantry-test-secret`,
    authConfig,
    options.proxyRemoteUrl ? `proxy:\n  remoteurl: ${options.proxyRemoteUrl}\n` : '',
  ].join('\n'));
  const logs: string[] = [];
  const url = `http://${host}`;
  let running: { child: ChildProcess; exited: Promise<void> } | undefined;
  const launch = async (): Promise<void> => {
    const child: ChildProcess = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    running = { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
    try {
      await waitFor(`docker-registry on ${host}`, async () => (await fetch(`${url}/v2/`)).status > 0);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${logs.join('')}`, { cause: err });
    }
  };
  const halt = async (): Promise<void> => {
    if (!running) return;
    running.child.kill('SIGTERM');
    await running.exited;
    running = undefined;
  };
  await launch();
  return {
    url, host, rootDir: join(dir.path, 'data'), tokenServer, logs,
    pause: halt,
    resume: launch,
    async stop() {
      await halt();
      await tokenServer?.stop();
      dir.remove();
    },
  };
}
