import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { startGateway } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { assertOciError, randomBlob, V2Client } from '../support/v2-client';

const MAIN = resolve(__dirname, '../../apps/gateway/src/main.js');

function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => res({ code, stderr }));
  });
}

describe('gateway process', () => {
  const dir = tempDir('gateway-process');
  after(() => dir.remove());

  test('a bad config stops start-up with exit 2 and names the key', async () => {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, 'backends:\n  corp: { type: registry, url: "nope" }\nroutes: [{ prefix: "", backend: corp }]\n');
    const viaFlag = await runMain(['--config', file]);
    assert.equal(viaFlag.code, 2);
    assert.match(viaFlag.stderr, /backends\.corp\.url/);
    const viaEnv = await runMain([], { GANTRY_CONFIG: join(dir.path, 'missing.yaml') });
    assert.equal(viaEnv.code, 2);
    assert.match(viaEnv.stderr, /missing\.yaml: cannot read/);
  });

  test('a name no route matches is NAME_UNKNOWN; unknown endpoints are OCI errors too', async () => {
    const gateway = await startGateway({
      backends: { store: { type: 'local', path: join(dir.path, 'store1') } },
      routes: [{ prefix: 'team/', backend: 'store' }],
    });
    try {
      const client = new V2Client(gateway.url);
      await assertOciError(await client.request('GET', '/v2/other/app/manifests/v1'), 404, 'NAME_UNKNOWN');
      await assertOciError(await client.request('GET', '/v2/team/app/nonsense'), 404, 'NAME_UNKNOWN');
      await assertOciError(await client.request('POST', '/v2/'), 405, 'UNSUPPORTED');
    } finally {
      await gateway.stop();
    }
  });

  test('SIGTERM lets an in-flight blob download finish, then the process exits', async () => {
    const gateway = await startGateway({
      backends: { store: { type: 'local', path: join(dir.path, 'store2') } },
      routes: [{ prefix: '', backend: 'store' }],
    });
    const client = new V2Client(gateway.url);
    const blob = randomBlob(48 * 1024 * 1024);
    await client.pushBlob('big/blob', blob);
    // node:http reads the socket only as fast as this consumer does, like Go's and containerd's
    // clients; the download is slowed so that SIGTERM lands in the middle of it.
    let stopping: Promise<number | null> | undefined;
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      get(`${gateway.url}/v2/big/blob/blobs/${blob.digest}`, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (!stopping) stopping = gateway.stop('SIGTERM');
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(received.length, blob.bytes.length);
    assert.ok(received.equals(blob.bytes));
    assert.ok(stopping, 'SIGTERM was sent during the transfer');
    assert.equal(await stopping, 0);
  });
});

describe('publicUrl', () => {
  const dir = tempDir('public-url');
  after(() => dir.remove());

  test('upload and blob Locations are absolute at the public address', async () => {
    const gateway = await startGateway({
      server: { publicUrl: 'https://gantry.example.com/' },
      backends: { store: { type: 'local', path: join(dir.path, 'store') } },
      routes: [{ prefix: '', backend: 'store' }],
    });
    try {
      const client = new V2Client(gateway.url);
      const start = await client.request('POST', '/v2/team/app/blobs/uploads/');
      assert.match(start.headers.get('location') ?? '', /^https:\/\/gantry\.example\.com\/v2\/team\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
      const blob = randomBlob(10);
      const done = await client.request('PUT', `${new URL(start.headers.get('location')!).pathname}?digest=${blob.digest}`, { body: blob.bytes });
      assert.equal(done.status, 201);
      assert.equal(done.headers.get('location'), `https://gantry.example.com/v2/team/app/blobs/${blob.digest}`);
    } finally {
      await gateway.stop();
    }
  });
});
