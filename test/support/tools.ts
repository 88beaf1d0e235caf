import { spawnSync } from 'node:child_process';

const INSTALL_HINT: Record<string, string> = {
  'docker-registry': 'apt-get install -y docker-registry',
  skopeo: 'apt-get install -y skopeo',
  'redis-server': 'apt-get install -y redis-server',
  openssl: 'apt-get install -y openssl',
  nginx: 'apt-get install -y nginx-light',
  chromium: 'apt-get install -y chromium',
};

/** A missing tool is a failure with the command that installs it, never a skip. */
export function requireTool(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`${name} is required by the test suite but not installed: ${INSTALL_HINT[name] ?? `install ${name}`}`);
  }
  return path;
}
