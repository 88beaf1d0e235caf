import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { FileRangeStream, RECYCLED_CHUNK_BYTES, spareBufferCount } from './file-range-stream';

const dir = mkdtempSync(join(tmpdir(), 'gantry-file-range-'));
const content = randomBytes(3 * RECYCLED_CHUNK_BYTES + 4321);
const path = join(dir, 'blob');
writeFileSync(path, content);

/**
 * A destination that calls back for each write only later, and checks at that moment that the
 * chunk it was handed still holds the bytes it was written with: a buffer read into again
 * before its write called back would fail that.
 */
class LateDestination extends Writable {
  readonly received: Buffer[] = [];
  pendingMax = 0;
  private pending = 0;
  intact = true;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const copy = Buffer.from(chunk);
    this.received.push(copy);
    this.pending++;
    this.pendingMax = Math.max(this.pendingMax, this.pending);
    setTimeout(() => {
      if (!chunk.equals(copy)) this.intact = false;
      this.pending--;
      callback();
    }, 2);
  }
}

describe('FileRangeStream', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writeRecycled writes the exact range and reuses a buffer only after its write called back', async () => {
    let closed = 0;
    const stream = new FileRangeStream(await open(path, 'r'), 10, content.length - 7, () => closed++);
    const dest = new LateDestination({ highWaterMark: 1 });
    await stream.writeRecycled(dest);
    assert.ok(Buffer.concat(dest.received).equals(content.subarray(10, content.length - 6)));
    assert.equal(dest.intact, true, 'a chunk changed before its write called back');
    assert.ok(Math.max(...dest.received.map((c) => c.length)) <= RECYCLED_CHUNK_BYTES);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, 1, 'the stream closes (and releases) once');
    assert.equal(stream.destroyed, true);
  });

  test('read as an ordinary stream, every chunk is its own buffer', async () => {
    const stream = new FileRangeStream(await open(path, 'r'), 0, content.length - 1);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(content));
    assert.equal(new Set(chunks.map((c) => c.buffer)).size, chunks.length, 'chunks share memory');
  });

  test('a destination that closes early rejects the transfer and closes the file', async () => {
    let closed = 0;
    const stream = new FileRangeStream(await open(path, 'r'), 0, content.length - 1, () => closed++);
    let writes = 0;
    const dest = new Writable({
      write(_chunk, _encoding, callback) {
        // The first write never completes: the client is gone.
        if (++writes === 1) setTimeout(() => dest.destroy(), 5);
        else callback();
      },
    });
    await assert.rejects(stream.writeRecycled(dest), /destination closed/);
    assert.equal(closed, 1);
  });

  test('a file shorter than the range fails the transfer instead of ending it short', async () => {
    const stream = new FileRangeStream(await open(path, 'r'), 0, content.length + 99);
    await assert.rejects(stream.writeRecycled(new LateDestination()), /file ended 100 bytes before the range did/);
  });

  test('whole-size buffers serve the next transfer once every write called back; a small range and a failed transfer give none', async () => {
    await new FileRangeStream(await open(path, 'r'), 0, content.length - 1).writeRecycled(new LateDestination());
    const spare = spareBufferCount();
    assert.ok(spare >= 2, `${spare} spare buffers`);
    await new FileRangeStream(await open(path, 'r'), 0, 9).writeRecycled(new LateDestination());
    assert.equal(spareBufferCount(), spare, 'a 10-byte range used a buffer of its own size');
    let writes = 0;
    const dest = new Writable({
      write(_chunk, _encoding, callback) {
        if (++writes === 1) setTimeout(() => dest.destroy(), 5);
        else callback();
      },
    });
    await assert.rejects(new FileRangeStream(await open(path, 'r'), 0, content.length - 1).writeRecycled(dest));
    assert.equal(spareBufferCount(), spare - 2, 'a transfer whose write never called back gives its buffers to the collector');
    const again = new LateDestination({ highWaterMark: 1 });
    await new FileRangeStream(await open(path, 'r'), 0, content.length - 1).writeRecycled(again);
    assert.ok(Buffer.concat(again.received).equals(content));
    assert.equal(again.intact, true, 'a reused buffer changed before its write called back');
  });

  test('one way of reading per stream', async () => {
    const stream = new FileRangeStream(await open(path, 'r'), 0, 9);
    await stream.writeRecycled(new LateDestination());
    const other = new FileRangeStream(await open(path, 'r'), 0, 9);
    other.read(0);
    await assert.rejects(other.writeRecycled(new LateDestination()), /already being read/);
    other.destroy();
  });
});
