import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { parseResponse, startPartialRequest } from '../support/raw-http';
import { tempDir, waitFor } from '../support/temp';
import { randomBlob, sha256, V2Client } from '../support/v2-client';

/**
 * A chunk that breaks off (the client goes away, or stops sending and is cut by the body idle
 * timeout) leaves the session where the backend really stands: GET reports it, the upload
 * resumes from there, and the log says what happened at info, once.
 */
describe('uploads survive a chunk that breaks off', () => {
  const dir = tempDir('upload-resume');
  const localStore = join(dir.path, 'store');
  let upstream: Distribution;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    upstream = await startDistribution();
    gateway = await startGateway({
      server: { bodyIdleTimeoutSeconds: 1 },
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

  /** Bytes the backend has written for the one open upload of `name` (distribution or the local store). */
  function backendBytes(name: string): number {
    const uploads = name.startsWith('reg/')
      ? join(upstream.rootDir, 'docker/registry/v2/repositories', name.slice('reg/'.length), '_uploads')
      : join(localStore, 'uploads');
    if (!existsSync(uploads)) return 0;
    return readdirSync(uploads)
      .map((id) => join(uploads, id, 'data'))
      .filter((file) => existsSync(file))
      .reduce((sum, file) => sum + statSync(file).size, 0);
  }

  /** Upload sessions the backend holds for `name` (distribution keeps an empty folder of a cancelled one). */
  function liveUploads(name: string): number {
    const registry = name.startsWith('reg/');
    const uploads = registry ? join(upstream.rootDir, 'docker/registry/v2/repositories', name.slice('reg/'.length), '_uploads') : join(localStore, 'uploads');
    if (!existsSync(uploads)) return 0;
    return readdirSync(uploads).filter((id) => existsSync(join(uploads, id, registry ? 'startedat' : 'meta.json'))).length;
  }

  async function openUpload(name: string): Promise<string> {
    const res = await client.request('POST', `/v2/${name}/blobs/uploads/`);
    assert.equal(res.status, 202, await res.text());
    return new URL(res.headers.get('location')!, gateway.url).pathname;
  }

  const patchHead = (path: string, length: number, reqId: string): string =>
    `PATCH ${path} HTTP/1.1\r\nHost: ${gateway.host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\nX-Request-Id: ${reqId}\r\n\r\n`;

  async function logLineOf(reqId: string, msg: string): Promise<Record<string, unknown>> {
    await waitFor(`"${msg}" for ${reqId}`, async () => logLines(gateway.logs).some((l) => l.reqId === reqId && l.msg === msg));
    return logLines(gateway.logs).find((l) => l.reqId === reqId && l.msg === msg)!;
  }

  /** Nothing about the request was logged as a failure of Gantry or of a backend. */
  function assertNoFailureLogged(reqId: string): void {
    for (const line of logLines(gateway.logs).filter((l) => l.reqId === reqId)) {
      assert.ok((line.level as number) < 40, `logged at level ${String(line.level)}: ${JSON.stringify(line)}`);
      assert.doesNotMatch(JSON.stringify(line), /UNAVAILABLE|unreachable|unhandled|stack/);
    }
  }

  async function rangeOf(path: string): Promise<string> {
    const res = await client.request('GET', path);
    assert.equal(res.status, 204, await res.text());
    return res.headers.get('range') ?? '';
  }

  /** Sends the rest of the blob from `offset` and completes it: the digest proves the offset was true. */
  async function resumeAndFinish(name: string, path: string, blob: Buffer, offset: number): Promise<void> {
    const rest = blob.subarray(offset);
    const patch = await client.request('PATCH', path, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${blob.length - 1}` },
      body: rest,
    });
    assert.equal(patch.status, 202, await patch.text());
    assert.equal(patch.headers.get('range'), `0-${blob.length - 1}`);
    const digest = sha256(blob);
    const put = await client.request('PUT', `${path}?digest=${digest}`);
    assert.equal(put.status, 201, await put.text());
    const get = await client.request('GET', `/v2/${name}/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(blob));
  }

  for (const [route, name] of [['type: registry', 'reg/abort/app'], ['type: local', 'abort/app']] as const) {
    test(`${route}: a client that goes away mid-chunk can resume, and the abort is logged at info`, async () => {
      const blob = randomBlob(1024 * 1024).bytes;
      const path = await openUpload(name);
      const reqId = `abort-${route.slice(6)}`;
      const partial = await startPartialRequest(gateway.host, patchHead(path, blob.length, reqId), blob.subarray(0, 256 * 1024));
      // The backend is in the middle of writing the chunk when the client goes.
      await waitFor('the backend writing the chunk', async () => backendBytes(name) >= 64 * 1024);
      await partial.abort();
      const line = await logLineOf(reqId, 'client aborted the request');
      assert.equal(line.level, 30);
      assert.equal(logLines(gateway.logs).filter((l) => l.reqId === reqId && l.msg === 'client aborted the request').length, 1);
      assertNoFailureLogged(reqId);
      let offset = 0; // the local store takes a broken chunk back off
      if (route === 'type: registry') {
        // distribution keeps what arrived; the session says so, instead of a stale 0-0.
        const end = Number(/^0-(\d+)$/.exec(await rangeOf(path))?.[1]);
        assert.ok(end >= 64 * 1024, `the session holds what distribution wrote (Range 0-${end})`);
        offset = end + 1;
      } else {
        assert.equal(await rangeOf(path), '0-0');
      }
      await resumeAndFinish(name, path, blob, offset);
    });

    test(`${route}: a monolithic push or a closing PUT that breaks off is logged at info, once, and nothing is stored`, async () => {
      const blob = randomBlob(1024 * 1024);
      const session = await openUpload(name);
      for (const [reqId, line] of [
        [`mono-${route.slice(6)}`, `POST /v2/${name}/blobs/uploads/?digest=${blob.digest}`],
        [`put-${route.slice(6)}`, `PUT ${session}?digest=${blob.digest}`],
      ] as const) {
        const head = `${line} HTTP/1.1\r\nHost: ${gateway.host}\r\nContent-Length: ${blob.bytes.length}\r\nX-Request-Id: ${reqId}\r\n\r\n`;
        const partial = await startPartialRequest(gateway.host, head, blob.bytes.subarray(0, 256 * 1024));
        await partial.abort();
        await logLineOf(reqId, 'client aborted the request');
        assert.equal(logLines(gateway.logs).filter((l) => l.reqId === reqId && l.msg === 'client aborted the request').length, 1);
        assertNoFailureLogged(reqId);
      }
      assert.equal((await client.request('HEAD', `/v2/${name}/blobs/${blob.digest}`)).status, 404);
      assert.equal(liveUploads(name), 0, 'no session is left open on the backend');
    });

    test(`${route}: a chunk that stops arriving is cut after the body idle timeout; the session stays resumable`, async () => {
      const blob = randomBlob(1000).bytes;
      const path = await openUpload(name);
      const reqId = `idle-${route.slice(6)}`;
      const stalled = await startPartialRequest(gateway.host, patchHead(path, blob.length, reqId), blob.subarray(0, 10));
      // The gateway answers and closes the connection: no wait on the test's side.
      const answer = parseResponse(await stalled.response);
      assert.equal(answer.status, 408, answer.text);
      assert.equal(answer.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.equal((JSON.parse(answer.body) as { errors: { code: string }[] }).errors[0]?.code, 'UNSUPPORTED');
      await logLineOf(reqId, 'request body idle; request ended');
      assertNoFailureLogged(reqId);
      // The one-writer lock is released: the session takes a chunk from where it really stands.
      const registry = route === 'type: registry';
      assert.equal(await rangeOf(path), registry ? '0-9' : '0-0');
      await resumeAndFinish(name, path, blob, registry ? 10 : 0);
    });
  }
});
