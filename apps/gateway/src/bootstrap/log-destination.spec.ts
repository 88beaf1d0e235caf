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

/** A file for `body` to log into, closed after. */
async function withFile(name: string, body: (fd: number, path: string) => Promise<void> | void): Promise<void> {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    await body(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** A real non-blocking pipe (a FIFO): its writer for `body`, and a read of whatever is in it now. */
async function withPipe(name: string, body: (writer: number, readNow: () => Buffer) => Promise<void>): Promise<void> {
  const fifo = join(dir, name);
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const chunk = Buffer.alloc(65536);
  const readNow = (): Buffer => {
    try {
      return Buffer.from(chunk.subarray(0, readSync(reader, chunk)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      return Buffer.alloc(0);
    }
  };
  try {
    await body(writer, readNow);
  } finally {
    closeSync(writer);
    closeSync(reader);
  }
}

test('lines reach the file in order and byte for byte, across batches and past a full buffer', () =>
  withFile('burst.log', async (fd, path) => {
    const destination = new LogDestination(fd, { bufferBytes: 1024 });
    const huge = `${'x'.repeat(5000)}\n`;
    const written = [...lines(3000, 'a'), huge, ...lines(10, 'b')];
    for (const line of written) destination.write(line);
    const expected = written.join('');
    await until(() => statSync(path).size >= Buffer.byteLength(expected), 'every line');
    assert.equal(readFileSync(path, 'utf8'), expected);
    assert.equal(destination.dropped, 0);
  }));

test('logging makes no buffer per line', () =>
  withFile('alloc.log', async (fd, path) => {
    const destination = new LogDestination(fd);
    const written = lines(20_000, 'alloc');
    const bytes = Buffer.byteLength(written.join(''));
    const before = process.memoryUsage().arrayBuffers;
    for (const line of written) destination.write(line);
    await until(() => statSync(path).size >= bytes, 'every line');
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < bytes / 8, `array buffers grew by ${grown} bytes while ${bytes} were logged`);
  }));

test('a full pipe is waited for: nothing is lost or reordered once the reader reads', () =>
  withPipe('pipe', async (writer, readNow) => {
    const destination = new LogDestination(writer, { bufferBytes: 4096 });
    const written = lines(20_000, 'pipe'); // about 800 KiB: far past the pipe's 64 KiB
    for (const line of written) destination.write(line);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the pipe fills and writes get EAGAIN
    const expected = Buffer.from(written.join(''));
    const received: Buffer[] = [];
    let total = 0;
    await until(() => {
      const read = readNow();
      received.push(read);
      total += read.length;
      return total >= expected.length;
    }, 'the pipe to deliver every line');
    assert.ok(Buffer.concat(received).equals(expected));
    assert.equal(destination.dropped, 0);
  }));

test('lines past the pending limit are dropped, not held, and reported once the pipe is read again', () =>
  withPipe('stuck', async (writer, readNow) => {
    const reports: number[] = [];
    const destination = new LogDestination(writer, { bufferBytes: 4096, maxPendingBytes: 64 * 1024, onDropped: (count) => reports.push(count) });
    for (let round = 0; round < 10; round++) {
      for (const line of lines(2000, 'stuck')) destination.write(line);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The pipe holds 64 KiB, the buffers 8 KiB, pending 64 KiB: of about 800 KiB most is dropped.
    assert.ok(destination.dropped > 15_000, `${destination.dropped} dropped`);
    assert.deepEqual(reports, [], 'nothing is reported while the pipe is still full');
    await until(() => {
      readNow();
      return reports.length > 0;
    }, 'the report');
    assert.deepEqual(reports, [destination.dropped]);
  }));

test('flushSync writes what is buffered at once, for the last lines before an exit', () =>
  withFile('exit.log', (fd, path) => {
    const destination = new LogDestination(fd, { bufferBytes: 1024 });
    const written = lines(100, 'exit');
    for (const line of written) destination.write(line);
    destination.flushSync();
    assert.equal(readFileSync(path, 'utf8'), written.join(''));
  }));
