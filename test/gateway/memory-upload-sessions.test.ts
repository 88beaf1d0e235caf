import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startGateway } from '../support/gateway-process';
import { buildMultiArchImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';
import { assertOciError, randomBlob, sha256, V2Client } from '../support/v2-client';

describe('server.uploadSessions.store: memory', () => {
  const dir = tempDir('memory-sessions');
  after(() => dir.remove());
  const sessionsPath = join(dir.path, 'sessions');
  const config = {
    // The path is given only to prove that the memory store never writes there.
    server: { uploadSessions: { store: 'memory', path: sessionsPath } },
    backends: { store: { type: 'local', path: join(dir.path, 'store') } },
    routes: [{ prefix: '', backend: 'store' }],
  };

  test('chunked uploads and a skopeo push work end to end; nothing is written for the sessions', async () => {
    const gateway = await startGateway(config);
    let location: string;
    try {
      const client = new V2Client(gateway.url);
      const blob = randomBlob(3 * 1024 * 1024);
      const start = await client.request('POST', '/v2/mem/app/blobs/uploads/');
      assert.equal(start.status, 202);
      const first = start.headers.get('location')!;
      const half = blob.bytes.length / 2;
      const patch1 = await client.request('PATCH', first, { headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${half - 1}` }, body: blob.bytes.subarray(0, half) });
      assert.equal(patch1.status, 202, await patch1.text());
      const status = await client.request('GET', patch1.headers.get('location')!);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), `0-${half - 1}`, 'the session remembers what was written');
      const patch2 = await client.request('PATCH', patch1.headers.get('location')!, { headers: { 'content-type': 'application/octet-stream', 'content-range': `${half}-${blob.bytes.length - 1}` }, body: blob.bytes.subarray(half) });
      assert.equal(patch2.status, 202, await patch2.text());
      const done = await client.request('PUT', `${patch2.headers.get('location')!}${patch2.headers.get('location')!.includes('?') ? '&' : '?'}digest=${blob.digest}`);
      assert.equal(done.status, 201, await done.text());
      const pulled = Buffer.from(await (await client.request('GET', `/v2/mem/app/blobs/${blob.digest}`)).arrayBuffer());
      assert.equal(sha256(pulled), blob.digest);

      const image = buildMultiArchImage(join(dir.path, 'layout'), { layerBytes: 64 * 1024 });
      await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, `docker://${gateway.host}/mem/image:v1`]);
      assert.equal((await skopeo(['inspect', '--raw', `docker://${gateway.host}/mem/image:v1`])).stdout, image.index.bytes.toString());

      const open = await client.request('POST', '/v2/mem/app/blobs/uploads/');
      assert.equal(open.status, 202);
      location = open.headers.get('location')!;
      assert.equal(existsSync(sessionsPath), false, 'the memory store wrote session files');
    } finally {
      await gateway.stop();
    }
    // Memory sessions live as long as the process: a restarted gateway does not know them.
    const restarted = await startGateway(config);
    try {
      await assertOciError(await new V2Client(restarted.url).request('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
    } finally {
      await restarted.stop();
    }
  });
});
