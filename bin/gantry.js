#!/usr/bin/env node
// The `gantry` command (package.json "bin"): runs the built CLI on Node 24 or later. On an older
// global node (npx, npm exec, a global install on a machine with Node 20) it re-runs itself on
// the project's pinned Node (node_modules/node, a dev dependency) when that is installed.
// Plain CommonJS that any Node can parse: it is the one file that runs before the version check.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: any Node must parse this file */
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const REQUIRED_MAJOR = 24;

function fail(message) {
  process.stderr.write(`gantry: ${message}\n`);
  process.exit(1);
}

if (!existsSync(CLI)) fail(`not built yet: run npm run build in ${ROOT}`);

if (Number(process.versions.node.split('.')[0]) >= REQUIRED_MAJOR) {
  require(CLI).main();
} else {
  const pinned = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) fail(`needs Node ${REQUIRED_MAJOR} or later, this is ${process.version} (install Node ${REQUIRED_MAJOR}, or npm install in ${ROOT} for the pinned one)`);
  const child = spawn(pinned, [CLI, ...process.argv.slice(2)], { stdio: 'inherit' });
  // The child shares the terminal (Ctrl-C reaches it); signals sent to this process alone are passed on.
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('SIGINT', () => undefined);
  child.once('error', (err) => fail(`cannot start ${pinned}: ${err.message}`));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 + require('node:os').constants.signals[signal] : 1)));
}
