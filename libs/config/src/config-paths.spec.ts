import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from './load-config';

const dir = mkdtempSync(join(tmpdir(), 'gantry-config-paths-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(text: string): string {
  const sub = mkdtempSync(join(dir, 'etc-'));
  const path = join(sub, 'gantry.yaml');
  writeFileSync(path, text);
  return path;
}

test('relative store and session paths resolve against the config file, not the working directory', () => {
  const path = configFile(`
server: { uploadSessions: { path: ./sessions } }
backends: { a: { type: local, path: ./store }, b: { type: local, path: /srv/abs } }
routes: [{ prefix: "", backend: a }]
`);
  const config = loadConfig({ file: path, env: {} });
  const base = join(path, '..');
  assert.equal(config.server.uploadSessions.path, join(base, 'sessions'));
  assert.equal(config.backends.a!.type === 'local' && config.backends.a!.path, join(base, 'store'));
  assert.equal(config.backends.b!.type === 'local' && config.backends.b!.path, '/srv/abs');
});

test('the default session path follows the config file too; an environment override as well', () => {
  const path = configFile('backends: { a: { type: local, path: ./store } }\nroutes: [{ prefix: "", backend: a }]\n');
  const base = join(path, '..');
  assert.equal(loadConfig({ file: path, env: {} }).server.uploadSessions.path, join(base, 'data/.gantry/uploads'));
  const viaEnv = loadConfig({ file: path, env: { GANTRY_BACKENDS__A__PATH: 'elsewhere' } });
  assert.equal(viaEnv.backends.a!.type === 'local' && viaEnv.backends.a!.path, join(base, 'elsewhere'));
});

test('with the embedded defaults (no file) paths stay relative to the working directory', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.server.uploadSessions.path, './data/.gantry/uploads');
  assert.equal(config.backends.local!.type === 'local' && config.backends.local!.path, './data');
});

test('TLS files resolve against the config file; one that cannot be read is an error naming the key', () => {
  const path = configFile(`
server: { tls: { certFile: ./tls/server.crt, keyFile: ./tls/server.key } }
backends: { a: { type: local, path: ./store } }
routes: [{ prefix: "", backend: a }]
`);
  const base = join(path, '..');
  assert.throws(
    () => loadConfig({ file: path, env: {} }),
    (err: unknown) => err instanceof ConfigError && /server\.tls\.certFile: cannot read .*server\.crt: ENOENT/.test(err.message) && /server\.tls\.keyFile/.test(err.message),
  );
  mkdirSync(join(base, 'tls'));
  writeFileSync(join(base, 'tls', 'server.crt'), 'x');
  writeFileSync(join(base, 'tls', 'server.key'), 'x');
  const config = loadConfig({ file: path, env: {} });
  assert.deepEqual(config.server.tls, { certFile: join(base, 'tls', 'server.crt'), keyFile: join(base, 'tls', 'server.key') });
});

test('a listen port out of range is an error naming the key', () => {
  for (const listen of ['127.0.0.1:99999', '127.0.0.1:0', '[::1]:65536']) {
    const path = configFile(`server: { listen: "${listen}" }\nbackends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: a }]\n`);
    assert.throws(
      () => loadConfig({ file: path, env: {} }),
      (err: unknown) => err instanceof ConfigError && /server\.listen: port must be 1–65535/.test(err.message) && !/host:port/.test(err.message),
      listen,
    );
  }
  const ok = configFile('server: { listen: "[::1]:65535" }\nbackends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: a }]\n');
  assert.equal(loadConfig({ file: ok, env: {} }).server.listen, '[::1]:65535');
});
