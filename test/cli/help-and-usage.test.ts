import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { runGantry } from './gantry-process';

const VERSION = (JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;


/** Every command, as typed after `gantry`. */
const COMMANDS = [
  ['serve'],
  ['worker'],
  ['config'],
  ['config', 'validate'],
  ['gc'],
  ['replicate'],
  ['explain'],
  ['robot'],
  ['robot', 'create'],
  ['robot', 'list'],
  ['robot', 'revoke'],
  ['version'],
];

describe('gantry: help, usage errors and version', () => {
  test('gantry --help lists every command and the environment variables', async () => {
    const run = await runGantry(['--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: gantry /);
    for (const name of ['serve', 'worker', 'config', 'gc', 'replicate', 'explain', 'robot', 'version']) {
      assert.match(run.stdout, new RegExp(`^  ${name}\\b`, 'm'), `${name} missing from the help`);
    }
    assert.match(run.stdout, /GANTRY_PASSWORD/);
  });

  test('--help on each command prints its usage on stdout and exits 0 without doing anything', async () => {
    for (const command of COMMANDS) {
      const run = await runGantry([...command, '--help']);
      assert.equal(run.code, 0, `${command.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, new RegExp(`^Usage: gantry ${command.join(' ')} `), command.join(' '));
      assert.equal(run.stderr, '', command.join(' '));
    }
  });

  test('an unknown flag on any command prints the error and that command\'s usage on stderr, exit 2', async () => {
    for (const command of COMMANDS) {
      // Required options are checked before unknown ones: give them, so the unknown flag is the error.
      const required = command.join(' ') === 'robot create' ? ['ci', '--scope', 'ci/*:pull', '--expires-in', '1d'] : [];
      const run = await runGantry([...command, ...required, '--bogus']);
      assert.equal(run.code, 2, `${command.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /error: unknown option '--bogus'/, command.join(' '));
      assert.match(run.stderr, new RegExp(`Usage: gantry ${command.join(' ')} `), command.join(' '));
      assert.equal(run.stdout, '', command.join(' '));
    }
  });

  test('there is no password flag: it would be visible in ps and shell history', async () => {
    const run = await runGantry(['robot', 'list', '--password', 'hunter2hunter2']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--password'/);
  });

  test('an unknown command, a missing argument and an extra argument are usage errors (exit 2)', async () => {
    const unknown = await runGantry(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const missing = await runGantry(['config', 'validate']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'file'/);
    const extra = await runGantry(['version', 'now']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /too many arguments/);
    const bare = await runGantry([]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^Usage: gantry /m);
  });

  test('gantry version and gantry --version print the package version', async () => {
    const version = await runGantry(['version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `gantry ${VERSION} (node ${process.version})\n`);
    const flag = await runGantry(['--version']);
    assert.equal(flag.code, 0, flag.stderr);
    assert.equal(flag.stdout, `gantry ${VERSION}\n`);
  });

  test('gantry worker runs the built worker, which loads the configuration itself', async () => {
    const missing = join(tmpdir(), 'gantry-cli-no-such-config.yaml');
    const run = await runGantry(['worker', '--config', missing]);
    // A file that is not there stops the worker, naming the file.
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.includes(missing), run.stderr);
  });
});
