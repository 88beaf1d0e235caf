import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { buildMultiArchImage } from '../support/oci-image';
import { createTestCa, type TestCa } from '../support/test-ca';
import { freePort, tempDir } from '../support/temp';
import { requireTool } from '../support/tools';

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');

interface Started {
  host: string;
  stdout: string;
  stop(): Promise<void>;
}

/**
 * Starts the gateway on `configFile` and resolves once it says it listens (HTTPS: the harness's
 * plain-HTTP probe would not do), or rejects with what it printed if it exits first.
 */
function startWith(configFile: string, port: number): Promise<Started> {
  return new Promise((res, reject) => {
    const child = spawn(process.execPath, [MAIN, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const onExit = (code: number | null): void => reject(new Error(`gateway exited ${code}: ${output}`));
    child.once('exit', onExit);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Gantry listening')) {
        child.off('exit', onExit);
        res({ host: `127.0.0.1:${port}`, stdout: output, stop: async () => void (child.kill('SIGTERM'), await exited) });
      }
    });
  });
}

/** Runs the gateway where it must refuse to start; one that starts anyway is killed and fails the test. */
function runExit(configFile: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('Gantry listening')) {
        stderr += 'started although the configuration is wrong\n';
        child.kill('SIGKILL');
      }
    });
    child.once('close', (code) => res({ code, stderr }));
  });
}

/** skopeo with TLS verification ON (its default) and no ambient credentials. */
function skopeoVerified(args: string[], home: string): Promise<string> {
  requireTool('skopeo');
  const authFile = join(home, 'auth.json');
  writeFileSync(authFile, '{}');
  const [command, ...rest] = args;
  return new Promise((res, reject) => {
    execFile('skopeo', [command!, '--authfile', authFile, ...rest], { env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: home }, timeout: 120000 },
      (err, stdout, stderr) => (err ? reject(new Error(`skopeo ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout)));
  });
}

function writeConfig(file: string, server: Record<string, unknown>): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, stringify({ server, backends: { store: { type: 'local', path: './store' } }, routes: [{ prefix: '', backend: 'store' }] }));
  return file;
}

describe('server.tls: HTTPS served directly', () => {
  const dir = tempDir('tls');
  const caDir = join(dir.path, 'ca');
  const etc = join(dir.path, 'etc');
  /** Only the CA certificate: skopeo reads a *.key there as a client certificate's key. */
  const trustDir = join(dir.path, 'trust');
  let ca: TestCa;
  let gateway: Started;

  before(async () => {
    mkdirSync(caDir);
    ca = createTestCa(caDir);
    mkdirSync(trustDir);
    copyFileSync(ca.caCertPath, join(trustDir, 'ca.crt'));
    const server = ca.issueServerCertificate('gantry');
    // Relative to the config file, as an operator would write them.
    mkdirSync(join(etc, 'tls'), { recursive: true });
    copyFileSync(server.certPath, join(etc, 'tls', 'server.crt'));
    copyFileSync(server.keyPath, join(etc, 'tls', 'server.key'));
    const port = await freePort();
    const config = writeConfig(join(etc, 'gantry.yaml'), { listen: `127.0.0.1:${port}`, tls: { certFile: './tls/server.crt', keyFile: 'tls/server.key' } });
    gateway = await startWith(config, port);
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  test('skopeo pushes and reads back over verified TLS with the CA in its cert dir', async () => {
    assert.match(gateway.stdout, new RegExp(`Gantry listening on https://${gateway.host}`));
    const image = buildMultiArchImage(join(dir.path, 'layout'), { layerBytes: 4096 });
    const home = tempDir('skopeo-tls-home');
    try {
      // A cert dir holds CA certificates as *.crt (containers-certs.d).
      await skopeoVerified(['copy', '--all', '--preserve-digests', '--dest-cert-dir', trustDir, `oci:${image.layoutDir}:v1`, `docker://${gateway.host}/tls/app:v1`], home.path);
      const raw = await skopeoVerified(['inspect', '--raw', '--cert-dir', trustDir, `docker://${gateway.host}/tls/app:v1`], home.path);
      assert.equal(raw, image.index.bytes.toString());
      await assert.rejects(
        skopeoVerified(['inspect', '--raw', `docker://${gateway.host}/tls/app:v1`], home.path),
        /certificate signed by unknown authority|x509/,
        'without the CA the certificate must not be trusted',
      );
    } finally {
      home.remove();
    }
  });

  test('an unreadable certificate path is a configuration error naming the key', async () => {
    const result = await runExit(writeConfig(join(etc, 'missing.yaml'), { listen: `127.0.0.1:${await freePort()}`, tls: { certFile: './tls/nope.crt', keyFile: './tls/server.key' } }));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /server\.tls\.certFile: cannot read .*nope\.crt: ENOENT/);
  });

  test('a key that does not belong to the certificate is a configuration error naming server.tls', async () => {
    const other = ca.issueServerCertificate('other');
    const result = await runExit(writeConfig(join(etc, 'mismatch.yaml'), { listen: `127.0.0.1:${await freePort()}`, tls: { certFile: './tls/server.crt', keyFile: other.keyPath } }));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /server\.tls: cannot use .*server\.crt with .*other\.key/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
