import assert from 'node:assert/strict';
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir, waitFor } from '../support/temp';
import { randomBlob, V2Client, type Blob } from '../support/v2-client';

/** A blob far larger than the socket buffers: a paused reader keeps its transfer in flight. */
const BLOB_BYTES = 48 * 1024 * 1024;

/** Starts a download and stops reading after its first bytes. */
function pausedDownload(url: string): Promise<{ req: ClientRequest; res: IncomingMessage; first: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      res.once('data', (first: Buffer) => {
        res.pause();
        resolve({ req, res, first });
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
  });
}

/** True when a new TCP connection to `host` is refused. */
function refused(host: string): Promise<boolean> {
  const [hostname, port] = [host.slice(0, host.lastIndexOf(':')), Number(host.slice(host.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect(port, hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

const logged = (gateway: GatewayProcess, text: string): Promise<void> => waitFor(`log "${text}"`, async () => gateway.logs.join('').includes(text));

describe('shutdown with a transfer in flight', () => {
  const dir = tempDir('shutdown');
  after(() => dir.remove());

  const startWithBlob = async (store: string, server: Record<string, unknown>): Promise<{ gateway: GatewayProcess; blob: Blob }> => {
    const gateway = await startGateway({ server, backends: { store: { type: 'local', path: join(dir.path, store) } }, routes: [{ prefix: '', backend: 'store' }] });
    const blob = randomBlob(BLOB_BYTES);
    await new V2Client(gateway.url).pushBlob('big/blob', blob);
    return { gateway, blob };
  };

  test('after SIGTERM new connections are refused while the transfer finishes, then exit 0', async () => {
    const { gateway, blob } = await startWithBlob('store1', { shutdownGraceSeconds: 120 });
    const download = await pausedDownload(`${gateway.url}/v2/big/blob/blobs/${blob.digest}`);
    const exited = gateway.stop('SIGTERM');
    await logged(gateway, 'shutting down');
    await waitFor('new connections refused', () => refused(gateway.host));

    const chunks: Buffer[] = [download.first];
    const body = new Promise<Buffer>((resolve, reject) => {
      download.res.on('data', (c: Buffer) => chunks.push(c));
      download.res.once('end', () => resolve(Buffer.concat(chunks)));
      download.res.once('error', reject);
    });
    download.res.resume();
    const received = await body;
    assert.equal(received.length, blob.bytes.length);
    assert.ok(received.equals(blob.bytes), 'the in-flight download completed intact');
    assert.equal(await exited, 0);
  });

  test('a transfer longer than shutdownGraceSeconds is cut and the process exits 1', async () => {
    const { gateway, blob } = await startWithBlob('store2', { shutdownGraceSeconds: 1 });
    const download = await pausedDownload(`${gateway.url}/v2/big/blob/blobs/${blob.digest}`);
    try {
      // The reader never resumes: only the grace period can end the process.
      assert.equal(await gateway.stop('SIGTERM'), 1);
      assert.match(gateway.logs.join(''), /shutdown grace period over; exiting with requests in flight/);
    } finally {
      download.req.destroy();
    }
  });
});
