import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { freePort, tempDir, waitFor } from '../support/temp';
import { GANTRY_BIN } from './gantry-process';

describe('gantry serve', () => {
  const dir = tempDir('cli-serve');
  after(() => dir.remove());

  test('runs the gateway; SIGTERM to gantry reaches it and both exit 0', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    const config = join(dir.path, 'gantry.yaml');
    writeFileSync(
      config,
      stringify({
        server: { listen, uploadSessions: { store: 'file', path: join(dir.path, 'uploads') } },
        backends: { store: { type: 'local', path: join(dir.path, 'store') } },
        routes: [{ prefix: '', backend: 'store' }],
      }),
    );
    const child = spawn(process.execPath, [GANTRY_BIN, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(`gateway on ${listen}`, async () => (await fetch(`http://${listen}/v2/`)).status === 200);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /Gantry listening on http:\/\/127\.0\.0\.1:/);
    assert.match(output, /shutting down/);
    await assert.rejects(fetch(`http://${listen}/v2/`), 'the gateway still answers after gantry exited');
  });

  test('a bad configuration: the gateway\'s exit 2 is gantry serve\'s', async () => {
    const config = join(dir.path, 'bad.yaml');
    writeFileSync(config, stringify({ backends: {}, routes: [] }));
    const child = spawn(process.execPath, [GANTRY_BIN, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /invalid configuration/);
  });
});
