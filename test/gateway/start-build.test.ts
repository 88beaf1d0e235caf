import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../support/temp';

/** scripts/build.mjs, which `npm start` runs with --if-stale before the built server. */
const BUILD_SCRIPT = pathToFileURL(resolve(__dirname, '../../../scripts/build.mjs')).href;
const loadScript = async (): Promise<{ staleReason(root: string): string | undefined }> =>
  (await import(BUILD_SCRIPT)) as { staleReason(root: string): string | undefined };

const dir = tempDir('start-build');
after(() => dir.remove());

function touch(path: string, when: Date): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  utimesSync(path, when, when);
}

test('npm start compiles only when nothing is built or a server source is newer than the build', async () => {
  const { staleReason } = await loadScript();
  const root = join(dir.path, 'project');
  const built = new Date(Date.now() - 60_000);
  const before = new Date(built.getTime() - 60_000);
  const later = new Date(built.getTime() + 30_000);
  touch(join(root, 'apps/gateway/src/main.ts'), before);
  touch(join(root, 'libs/oci/src/digest.ts'), before);
  touch(join(root, 'tsconfig.json'), before);
  assert.equal(staleReason(root), 'no build yet');

  touch(join(root, 'dist/apps/gateway/src/main.js'), built);
  assert.equal(staleReason(root), 'no build yet', 'a build that never finished has no stamp');
  touch(join(root, 'dist/.build-stamp'), built);
  assert.equal(staleReason(root), undefined, 'a current build starts at once');

  touch(join(root, 'test/gateway/some.test.ts'), later);
  touch(join(root, 'README.md'), later);
  assert.equal(staleReason(root), undefined, 'tests and docs do not make the server stale');

  touch(join(root, 'libs/oci/src/digest.ts'), later);
  assert.equal(staleReason(root), 'libs/oci/src/digest.ts changed since the last build');
  touch(join(root, 'libs/oci/src/digest.ts'), before);
  touch(join(root, 'tsconfig.json'), later);
  assert.equal(staleReason(root), 'tsconfig.json changed since the last build');
});
