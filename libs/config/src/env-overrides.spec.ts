import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from './load-config';

const dir = mkdtempSync(join(tmpdir(), 'gantry-env-overrides-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected a configuration error');
}

test('an unknown key from an environment variable names the variable, not the embedded defaults', () => {
  const message = errorOf(() => loadConfig({ env: { GANTRY_SERVER__LOGLEVEL: 'debug' } }));
  assert.match(message, /^invalid configuration from the environment:\n {2}GANTRY_SERVER__LOGLEVEL: server: Unrecognized key: "loglevel"$/);
  assert.doesNotMatch(message, /embedded defaults/);
});

test('a bad value, and a missing key below a node a variable created, name the variable', () => {
  assert.match(errorOf(() => loadConfig({ env: { GANTRY_SERVER__LISTEN: '127.0.0.1:99999' } })), /GANTRY_SERVER__LISTEN: server\.listen: port must be 1–65535/);
  assert.match(errorOf(() => loadConfig({ env: { GANTRY_BACKENDS__EXTRA__TYPE: 'local' } })), /GANTRY_BACKENDS__EXTRA__TYPE: backends\.extra\.path: /);
  assert.match(
    errorOf(() => loadConfig({ env: { GANTRY_BACKENDS__LOCAL__CREDENTIALS__PASSWORD_FILE: '/nonexistent/secret' } })),
    /GANTRY_BACKENDS__LOCAL__CREDENTIALS__PASSWORD_FILE: backends\.local\.credentials\.passwordFile: cannot read secret file: ENOENT/,
  );
});

test('file errors keep naming the file; a variable\'s errors in the same run name the variable', () => {
  const file = join(dir, 'gantry.yaml');
  writeFileSync(file, 'backends: { a: { type: registry, url: nope } }\nroutes: [{ prefix: "", backend: a }]\n');
  const message = errorOf(() => loadConfig({ file, env: { GANTRY_SERVER__LOG_LEVEL: 'loud' } }));
  assert.match(message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid configuration:`));
  assert.match(message, /\n {2}backends\.a\.url: Invalid URL/);
  assert.match(message, /\n {2}GANTRY_SERVER__LOG_LEVEL: server\.logLevel: /);
});

test('LOG_LEVEL maps to logLevel: "_" inside a segment marks camelCase, "__" separates segments', () => {
  const config = loadConfig({ env: { GANTRY_SERVER__LOG_LEVEL: 'warn', GANTRY_SERVER__UPLOAD_SESSIONS__STORE: 'memory' } });
  assert.equal(config.server.logLevel, 'warn');
  assert.equal(config.server.uploadSessions.store, 'memory');
});

test('the variable that set a key is blamed, not an earlier one that created its parent', () => {
  const message = errorOf(() => loadConfig({ env: { GANTRY_SERVER__LISTEN: '127.0.0.1:6000', GANTRY_SERVER__LOGLEVEL: 'debug' } }));
  assert.match(message, /\n {2}GANTRY_SERVER__LOGLEVEL: server: Unrecognized key: "loglevel"$/);
});
