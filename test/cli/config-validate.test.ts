import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { tempDir } from '../support/temp';
import { runGantry } from './gantry-process';

describe('gantry config validate', () => {
  const dir = tempDir('cli-config');
  after(() => dir.remove());

  const write = (name: string, text: string): string => {
    const file = join(dir.path, name);
    writeFileSync(file, text);
    return file;
  };

  test('a good file: exit 0, a one-line summary on stdout', async () => {
    const file = write(
      'good.yaml',
      stringify({
        backends: { hub: { type: 'dockerhub' }, store: { type: 'local', path: './store' } },
        routes: [
          { prefix: 'hub/', backend: 'hub' },
          { prefix: '', backend: 'store' },
        ],
      }),
    );
    const run = await runGantry(['config', 'validate', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${file}: valid (2 backends, 2 routes, no auth)\n`);
    assert.equal(run.stderr, '');
  });

  test('a broken file: exit 2 and one line per problem, each naming its key', async () => {
    const file = write(
      'broken.yaml',
      stringify({
        server: { listen: '0.0.0.0:5000', shutdownGraceSeconds: 'soon' },
        backends: { store: { type: 'local', path: './store', colour: 'blue' } },
        routes: [{ prefix: '', backend: 'store' }],
      }),
    );
    const run = await runGantry(['config', 'validate', file]);
    assert.equal(run.code, 2, run.stdout);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`^gantry config validate: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid configuration:\n`));
    assert.match(run.stderr, /^ {2}server\.shutdownGraceSeconds: /m);
    assert.match(run.stderr, /^ {2}backends\.store: .*colour/m);
  });

  test('a route to a backend that does not exist: exit 2 naming the route', async () => {
    const file = write('route.yaml', stringify({ backends: { store: { type: 'local', path: './store' } }, routes: [{ prefix: '', backend: 'nowhere' }] }));
    const run = await runGantry(['config', 'validate', file]);
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /^ {2}routes\[0\]\.backend: .*nowhere/m);
  });

  test('an environment override is validated too, and named', async () => {
    const file = write('env.yaml', stringify({ backends: { store: { type: 'local', path: './store' } }, routes: [{ prefix: '', backend: 'store' }] }));
    const run = await runGantry(['config', 'validate', file], { env: { GANTRY_SERVER__LISTEN: 'not-an-address' } });
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /GANTRY_SERVER__LISTEN: server\.listen: /);
  });

  test('invalid YAML and a missing file: exit 2 with the reason', async () => {
    const yaml = await runGantry(['config', 'validate', write('bad.yaml', 'backends: [unclosed\n')]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /invalid YAML/);
    const missing = await runGantry(['config', 'validate', join(dir.path, 'absent.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /absent\.yaml: cannot read: ENOENT/);
  });
});
