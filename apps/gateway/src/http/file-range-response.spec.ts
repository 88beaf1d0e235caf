import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { FileRangeStream } from '#registry';
import { sendFileRange } from './file-range-response';

describe('sendFileRange', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-send-file-range-'));
  const content = randomBytes(8 * 1024 * 1024 + 3);
  const path = join(dir, 'blob');
  const answered: number[] = [];
  let closed = 0;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    writeFileSync(path, content);
    app = Fastify();
    app.addHook('onRequest', async (_req, reply) => {
      reply.header('x-from-a-hook', 'yes');
    });
    app.addHook('onResponse', async (_req, reply) => {
      answered.push(reply.statusCode);
    });
    app.get('/blob', async (req, reply) => {
      const ranged = req.headers.range === 'bytes=5-9';
      const stream = new FileRangeStream(await open(path, 'r'), ranged ? 5 : 0, ranged ? 9 : content.length - 1, () => closed++);
      const headers = { 'content-type': 'application/octet-stream', 'content-length': stream.remaining };
      return sendFileRange(reply, ranged ? 206 : 200, headers, stream);
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('sends the bytes with the reply headers and hooks, whole and by range', async () => {
    const whole = await fetch(`${url}/blob`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('x-from-a-hook'), 'yes');
    assert.equal(whole.headers.get('content-length'), String(content.length));
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(content));
    const part = await fetch(`${url}/blob`, { headers: { range: 'bytes=5-9' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(content.subarray(5, 10)));
    assert.deepEqual(answered.slice(-2), [200, 206], 'onResponse ran for both');
  });

  test('a client that goes away mid-transfer closes the file', async () => {
    const before = closed;
    await new Promise<void>((resolve, reject) => {
      const req = get(`${url}/blob`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    const deadline = Date.now() + 5000;
    while (closed === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(closed, before + 1);
  });
});
