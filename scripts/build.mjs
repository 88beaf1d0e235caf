// `node scripts/build.mjs [--clean | --if-stale]`: compiles the project into dist/ with tsc and
// stamps the build, so that `npm start` runs the built server and compiles only when a source
// changed since (or nothing was built yet), saying so in one line.
//   (none)      build (incremental)
//   --clean     delete dist/ first (`npm test`: a deleted test's compiled file must not run)
//   --if-stale  build only when the stamp is missing or older than a source of the server
// Plain JavaScript: it runs before anything is compiled, on any Node.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join('dist', '.build-stamp');
const ENTRY = join('dist', 'apps', 'gateway', 'src', 'main.js');
/** What the server and gc are compiled from; tests and the bench do not make a start stale. */
const INPUTS = ['apps', 'libs', 'tsconfig.json', 'tsconfig.build.json'];

/** Why the build under `root` is out of date, or undefined when it is current. */
export function staleReason(root) {
  const stamp = statIfExists(join(root, STAMP));
  if (!stamp || !existsSync(join(root, ENTRY))) return 'no build yet';
  const changed = firstNewer(root, INPUTS, stamp.mtimeMs);
  return changed ? `${changed} changed since the last build` : undefined;
}

function statIfExists(path) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function firstNewer(root, entries, since) {
  for (const entry of entries) {
    const path = join(root, entry);
    const stat = statIfExists(path);
    if (!stat) continue;
    if (stat.isDirectory()) {
      const found = firstNewer(root, readdirSync(path).map((name) => join(entry, name)), since);
      if (found) return found;
    } else if (/\.(ts|json)$/.test(entry) && stat.mtimeMs > since) {
      return relative(root, path);
    }
  }
  return undefined;
}

function build(root) {
  const startedAt = new Date();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  // The stamp carries the time the build started: a source saved during the build is newer.
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, STAMP), '');
  utimesSync(join(root, STAMP), startedAt, startedAt);
  return 0;
}

function main(args) {
  if (args.includes('--clean')) rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  if (args.includes('--if-stale')) {
    const reason = staleReason(ROOT);
    if (!reason) return 0;
    process.stderr.write(`gantry: ${reason}: compiling first (npm run build)\n`);
  }
  return build(ROOT);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
