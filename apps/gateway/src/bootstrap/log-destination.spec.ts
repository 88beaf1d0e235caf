import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LogDestination } from './log-destination';

const dir = mkdtempSync(join(tmpdir(), 'log-destination-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lines = (count: number, tag: string): string[] => Array.from({ length: count }, (_, i) => `{"n":${i},"tag":"${tag}","msg":"héllo ✓"}\n`);

async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('lines reach the file in order and byte for byte, across batches and past a full buffer', async () => {
  const path = join(dir, 'burst.log');
  const fd = openSync(path, 'w');
  try {
    const destination = new LogDestination(fd, { bufferBytes: 1024 });
    const huge = `${'x'.repeat(5000)}\n`;
    const written = [...lines(3000, 'a'), huge, ...lines(10, 'b')];
    for (const line of written) destination.write(line);
    const expected = written.join('');
    await until(() => statSync(path).size >= Buffer.byteLength(expected), 'every line');
    assert.equal(readFileSync(path, 'utf8'), expected);
    assert.equal(destination.dropped, 0);
  } finally {
    closeSync(fd);
  }
});

test('logging makes no buffer per line', async () => {
  const path = join(dir, 'alloc.log');
  const fd = openSync(path, 'w');
  try {
    const destination = new LogDestination(fd);
    const written = lines(20_000, 'alloc');
    const bytes = Buffer.byteLength(written.join(''));
    const before = process.memoryUsage().arrayBuffers;
    for (const line of written) destination.write(line);
    await until(() => statSync(path).size >= bytes, 'every line');
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < bytes / 8, `array buffers grew by ${grown} bytes while ${bytes} were logged`);
  } finally {
    closeSync(fd);
  }
});

test('a full pipe is waited for: nothing is lost or reordered once the reader reads', async () => {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    const destination = new LogDestination(writer, { bufferBytes: 4096 });
    const written = lines(20_000, 'pipe'); // about 800 KiB: far past the pipe's 64 KiB
    for (const line of written) destination.write(line);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the pipe fills and writes get EAGAIN
    const expected = Buffer.from(written.join(''));
    const received: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(65536);
    await until(() => {
      try {
        const n = readSync(reader, chunk);
        received.push(Buffer.from(chunk.subarray(0, n)));
        total += n;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      return total >= expected.length;
    }, 'the pipe to deliver every line');
    assert.ok(Buffer.concat(received).equals(expected));
    assert.equal(destination.dropped, 0);
  } finally {
    closeSync(writer);
    closeSync(reader);
  }
});

test('lines past the pending limit are dropped, not held, and reported once the pipe is read again', async () => {
  const fifo = join(dir, 'stuck');
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    const reports: number[] = [];
    const destination = new LogDestination(writer, { bufferBytes: 4096, maxPendingBytes: 64 * 1024, onDropped: (count) => reports.push(count) });
    for (let round = 0; round < 10; round++) {
      for (const line of lines(2000, 'stuck')) destination.write(line);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The pipe holds 64 KiB, the buffers 8 KiB, pending 64 KiB: of about 800 KiB most is dropped.
    assert.ok(destination.dropped > 15_000, `${destination.dropped} dropped`);
    assert.deepEqual(reports, [], 'nothing is reported while the pipe is still full');
    const chunk = Buffer.alloc(65536);
    await until(() => {
      try {
        readSync(reader, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      return reports.length > 0;
    }, 'the report');
    assert.deepEqual(reports, [destination.dropped]);
  } finally {
    closeSync(writer);
    closeSync(reader);
  }
});

test('flushSync writes what is buffered at once, for the last lines before an exit', () => {
  const path = join(dir, 'exit.log');
  const fd = openSync(path, 'w');
  try {
    const destination = new LogDestination(fd, { bufferBytes: 1024 });
    const written = lines(100, 'exit');
    for (const line of written) destination.write(line);
    destination.flushSync();
    assert.equal(readFileSync(path, 'utf8'), written.join(''));
  } finally {
    closeSync(fd);
  }
});
