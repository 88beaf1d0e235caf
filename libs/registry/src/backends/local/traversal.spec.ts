import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OciError } from '#oci';
import { StoreLayout } from './paths';
import { blob, body, fixture, pushImage, type Fixture } from './spec-helpers';

const BAD_NAMES = ['../x', '..', 'a/../../x', '%2e%2e', '%2e%2e/etc', '/etc/passwd', '/tmp/x', 'a/_manifests', 'a\\..\\b', 'a/./b', ''];

describe('local backend: path traversal', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  test('bad repository names, references and upload ids throw OciError and write nothing outside the store', async () => {
    const r = f.registry;
    const b = blob(10);
    const m = await pushImage(r, 'good');
    await r.putManifest('good', 'v1', m);
    const { handle } = await r.startUpload('good');

    const calls: Array<() => Promise<unknown>> = [];
    for (const name of BAD_NAMES) {
      calls.push(
        () => r.putBlob(name, b.digest, body(b.bytes)),
        () => r.statBlob(name, b.digest),
        () => r.getBlob(name, b.digest),
        () => r.deleteBlob(name, b.digest),
        () => r.mountBlob(name, m.layer, 'good'),
        () => r.mountBlob('good', m.layer, name),
        () => r.startUpload(name),
        () => r.writeChunk(name, handle, { body: body('x'), offset: 0 }),
        () => r.putManifest(name, 'v1', m),
        () => r.getManifest(name, 'v1', []),
        () => r.deleteManifest(name, 'v1'),
        () => r.listTags(name, {}),
        () => r.listReferrers(name, m.digest),
      );
    }
    for (const ref of ['../../x', '..', '%2e%2e', '/etc/passwd', 'sha256:../../../etc', `sha256:${'A'.repeat(64)}`, 'md5:abc', '.hidden']) {
      calls.push(
        () => r.putManifest('good', ref, m),
        () => r.getManifest('good', ref, []),
        () => r.deleteManifest('good', ref),
        () => r.statBlob('good', ref),
        () => r.putBlob('good', ref, body('x')),
        () => r.listReferrers('good', ref),
      );
    }
    for (const bad of ['{"id":"../../etc"}', '{"id":"/etc"}', '../../etc', '{"id":"00000000-0000-0000-0000-000000000000/.."}']) {
      calls.push(
        () => r.writeChunk('good', bad, { body: body('x'), offset: 0 }),
        () => r.finishUpload('good', bad, b.digest),
        () => r.cancelUpload('good', bad),
      );
    }

    for (const call of calls) {
      await assert.rejects(call(), (err: unknown) => err instanceof OciError, String(call));
    }
    assert.deepEqual(await fs.readdir(f.parent), ['store']);
    assert.deepEqual((await fs.readdir(path.join(f.store, 'repositories'))).sort(), ['good']);
  });

  test('the layout refuses paths that would leave the root', () => {
    const layout = new StoreLayout('/srv/store');
    assert.throws(() => layout.inside('/srv/store/../etc'), OciError);
    assert.throws(() => layout.inside('/srv/store'), OciError);
    assert.throws(() => layout.inside('/srv/store-other/x'), OciError);
    assert.equal(layout.inside('/srv/store/a/b'), '/srv/store/a/b');
    assert.throws(() => layout.uploadDir('../../etc'), OciError);
    assert.throws(() => layout.blobData('../'.repeat(10)), OciError);
    assert.throws(() => layout.tagFile('app', '../x'), OciError);
  });
});
