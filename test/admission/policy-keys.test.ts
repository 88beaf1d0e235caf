import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../../apps/gateway/src/bootstrap/node-flags';
import { cosignKeyPair } from '../support/cosign';
import { freePort, tempDir } from '../support/temp';

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');

/** Runs the gateway with `configFile` from another directory; one that starts is killed at once and reported. */
function run(configFile: string, cwd: string): Promise<{ code: number | null; stderr: string; started: boolean }> {
  return new Promise((res, reject) => {
    const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, MAIN, '--config', configFile], { cwd, env: { ...process.env, GANTRY_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!started && stdout.includes('Gantry listening')) {
        started = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => res({ code, stderr, started }));
  });
}

describe('policy keys at gateway start', () => {
  const dir = tempDir('policy-keys');
  const elsewhere = tempDir('policy-keys-cwd');
  before(() => {
    mkdirSync(join(dir.path, 'keys'), { recursive: true });
    cosignKeyPair(join(dir.path, 'keys'), 'release');
  });
  after(() => {
    dir.remove();
    elsewhere.remove();
  });

  async function configWith(keys: unknown[]): Promise<string> {
    const file = join(dir.path, `gantry-${await freePort()}.yaml`);
    writeFileSync(file, stringify({
      server: { listen: `127.0.0.1:${await freePort()}`, uploadSessions: { store: 'memory' } },
      backends: { store: { type: 'local', path: './store' } },
      routes: [{ prefix: '', backend: 'store' }],
      policies: [{ name: 'prod-signed', repositories: ['prod/**'], requireSignature: { keys } }],
    }));
    return file;
  }

  test('key paths are relative to the config file: the gateway starts from any directory', async () => {
    const result = await run(await configWith(['./keys/release.pub']), elsewhere.path);
    assert.equal(result.started, true, result.stderr);
  });

  test('an unreadable or invalid key file stops the start with exit 2, naming the key, without a stack', async () => {
    writeFileSync(join(dir.path, 'garbage.pub'), 'not a key\n');
    for (const [keys, expected] of [
      [['./keys/absent.pub'], /policies\[0\]\.requireSignature\.keys\[0\]: cannot read .*absent\.pub: ENOENT/],
      [['./keys/release.pub', { name: 'ops', file: './garbage.pub' }], /policies\[0\]\.requireSignature\.keys\[1\] \(.*garbage\.pub\): not a PEM public key/],
    ] as const) {
      const result = await run(await configWith([...keys]), elsewhere.path);
      assert.equal(result.started, false);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expected);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
  });
});
