import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { freePort, tempDir } from '../support/temp';

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');
const GC = resolve(__dirname, '../../apps/gateway/src/gc-command.js');
const VERSION = (JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The server started instead of exiting (it was then killed). */
  started: boolean;
}

/**
 * Runs a built program in `cwd`. A server that starts where it should have exited is killed at
 * once and reported as `started`, so a regression fails instead of hanging.
 */
function run(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((res, reject) => {
    const child = spawn(process.execPath, [program, ...args], { cwd, env: { ...process.env, GANTRY_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!started && stdout.includes('Gantry listening')) {
        started = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => res({ code, stdout, stderr, started }));
  });
}

function listenOn(port: number): Promise<Server> {
  return new Promise((res, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => res(server));
  });
}

describe('gantry command line', () => {
  const dir = tempDir('command-line');
  after(() => dir.remove());

  const configWith = async (server: Record<string, unknown>): Promise<string> => {
    const file = join(dir.path, `gantry-${await freePort()}.yaml`);
    writeFileSync(file, stringify({ server, backends: { store: { type: 'local', path: './store' } }, routes: [{ prefix: '', backend: 'store' }] }));
    return file;
  };
  // If a flag were ignored, the server would start here on a free loopback port (never :5000).
  const safeEnv = async (): Promise<NodeJS.ProcessEnv> => ({ GANTRY_SERVER__LISTEN: `127.0.0.1:${await freePort()}` });

  test('--help and -h print the usage on stdout and exit 0 without starting', async () => {
    for (const flag of ['--help', '-h']) {
      const result = await run(MAIN, [flag], dir.path, await safeEnv());
      assert.equal(result.started, false, `${flag} started the server`);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^usage: gantry \[--config path\]/);
      assert.match(result.stdout, /GANTRY_SERVER__LOG_LEVEL/);
      assert.equal(result.stderr, '');
    }
  });

  test('--version prints the package version and exits 0', async () => {
    const result = await run(MAIN, ['--version'], dir.path, await safeEnv());
    assert.equal(result.started, false);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `gantry ${VERSION}\n`);
  });

  test('an unknown flag or a stray argument is a usage error on stderr, exit 2', async () => {
    for (const args of [['--port', '6000'], ['serve'], ['--config']]) {
      const result = await run(MAIN, args, dir.path, await safeEnv());
      assert.equal(result.started, false, `${args.join(' ')} started the server`);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^gantry: .+\nusage: gantry/, args.join(' '));
      assert.equal(result.stdout, '');
    }
  });

  test('a listen port out of range is a configuration error naming the key, exit 2, no stack', async () => {
    const result = await run(MAIN, ['--config', await configWith({ listen: '127.0.0.1:99999' })], dir.path);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /server\.listen: port must be 1–65535/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a port in use is one line naming the address, exit 1', async () => {
    const port = await freePort();
    const blocker = await listenOn(port);
    try {
      const result = await run(MAIN, ['--config', await configWith({ listen: `127.0.0.1:${port}` })], dir.path);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `gantry: cannot listen on 127.0.0.1:${port}: address already in use\n`);
    } finally {
      blocker.close();
    }
  });

  test('an environment override error names the variable', async () => {
    const result = await run(MAIN, [], dir.path, { GANTRY_SERVER__LOGLEVEL: 'debug', ...(await safeEnv()) });
    assert.equal(result.started, false);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /GANTRY_SERVER__LOGLEVEL: server: Unrecognized key: "loglevel"/);
    assert.doesNotMatch(result.stderr, /embedded defaults/);
  });

  test('gc shares the flags: --help exits 0, an unknown flag exits 2 with the usage', async () => {
    const help = await run(GC, ['-h'], dir.path);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage: gantry gc /);
    assert.equal(help.stdout.includes('"backend"'), false, 'gc ran instead of printing help');
    const bad = await run(GC, ['--bogus'], dir.path);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^gantry gc: .*--bogus.*\nusage: gantry gc /);
    const grace = await run(GC, ['--grace-seconds', 'soon'], dir.path);
    assert.equal(grace.code, 2);
    assert.match(grace.stderr, /--grace-seconds needs a whole number of seconds, got soon/);
  });
});
