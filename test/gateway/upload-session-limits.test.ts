import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { tempDir, waitFor } from '../support/temp';
import { assertOciError, V2Client } from '../support/v2-client';

describe('open upload sessions are capped (memory session store)', () => {
  const dir = tempDir('upload-caps');
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    gateway = await startGateway({
      server: { uploadSessions: { store: 'memory', maxPerRepository: 2, maxTotal: 3 } },
      backends: { store: { type: 'local', path: join(dir.path, 'store') } },
      routes: [{ prefix: '', backend: 'store' }],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    dir.remove();
  });

  const open = (name: string): Promise<Response> => client.request('POST', `/v2/${name}/blobs/uploads/`);

  test('per repository, then in all: 429 TOOMANYREQUESTS saying why; a finished session makes room', async () => {
    const first = await open('team/a');
    assert.equal(first.status, 202);
    assert.equal((await open('team/a')).status, 202);
    const perRepository = await open('team/a');
    const text = await perRepository.text();
    assert.equal(perRepository.status, 429, text);
    assert.equal(perRepository.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal((JSON.parse(text) as { errors: { code: string }[] }).errors[0]?.code, 'TOOMANYREQUESTS');
    assert.match(text, /team\/a/);

    assert.equal((await open('team/b')).status, 202);
    const overall = await open('team/c');
    const overallText = await overall.text();
    assert.equal(overall.status, 429, overallText);
    assert.match(overallText, /3 upload sessions are open/);

    const cancelled = await client.request('DELETE', new URL(first.headers.get('location')!, gateway.url).pathname);
    assert.equal(cancelled.status, 204);
    assert.equal((await open('team/c')).status, 202);
  });
});

describe('expired upload sessions are swept while the gateway runs, with their backend side', () => {
  const dir = tempDir('upload-sweep');
  const sessionsDir = join(dir.path, 'sessions');
  const localStore = join(dir.path, 'store');
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    upstream = await startDistribution();
    gateway = await startGateway({
      server: { uploadSessions: { store: 'file', path: sessionsDir, maxAgeSeconds: 5 } },
      backends: { corp: { type: 'registry', url: upstream.url }, store: { type: 'local', path: localStore } },
      routes: [{ prefix: 'reg/', backend: 'corp' }, { prefix: '', backend: 'store' }],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.stop();
    dir.remove();
  });

  const entries = (path: string): string[] => (existsSync(path) ? readdirSync(path) : []);

  test('the gateway forgets them, distribution and the local store drop their uploads', async () => {
    const localUploads = join(localStore, 'uploads');
    const paths: string[] = [];
    for (const name of ['reg/sweep/app', 'sweep/app']) {
      const res = await client.request('POST', `/v2/${name}/blobs/uploads/`);
      assert.equal(res.status, 202);
      paths.push(new URL(res.headers.get('location')!, gateway.url).pathname);
    }
    // The upstream's own session URL, from the gateway's session file.
    const upstreamLocation = entries(sessionsDir)
      .map((file) => JSON.parse(readFileSync(join(sessionsDir, file), 'utf8')) as { backend: string; handle: string })
      .filter((session) => session.backend === 'corp')
      .map((session) => (JSON.parse(session.handle) as { location: string }).location)[0]!;
    assert.equal((await fetch(upstreamLocation)).status, 204, 'distribution holds the upload');
    assert.equal(entries(localUploads).length, 1, 'the local store holds the upload');
    // Swept by the gateway's own timer (after the 5 s age limit), not by a request: nothing touches the sessions meanwhile.
    await waitFor('the sweep', async () => entries(localUploads).length === 0 && entries(sessionsDir).length === 0);
    await assertOciError(await fetch(upstreamLocation), 404, 'BLOB_UPLOAD_UNKNOWN');
    for (const path of paths) await assertOciError(await client.request('GET', path), 404, 'BLOB_UPLOAD_UNKNOWN');
    await waitFor('the sweep log line', async () => logLines(gateway.logs).some((l) => l.msg === 'expired upload sessions swept'));
  });
});
