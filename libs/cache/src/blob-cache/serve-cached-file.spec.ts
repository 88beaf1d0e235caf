import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveCachedFile } from './serve-cached-file';

/** Reads a served body, answering its bytes and the largest chunk the stream produced. */
async function drain(body: ReturnType<typeof serveCachedFile>): Promise<{ bytes: Buffer; largest: number }> {
  assert.equal(body.kind, 'stream');
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), largest: Math.max(...chunks.map((c) => c.length)) };
}

test('a cached blob is read in chunks of at most 64 KiB (larger reads made V8 run full collections), whole and by range', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-serve-cached-'));
  try {
    const content = randomBytes(4 * 1024 * 1024 + 17);
    const path = join(dir, 'blob');
    writeFileSync(path, content);

    const whole = await drain(serveCachedFile(await open(path, 'r'), content.length, undefined, () => undefined));
    assert.ok(whole.bytes.equals(content));
    assert.ok(whole.largest <= 64 * 1024, `largest chunk ${whole.largest} bytes`);

    const part = serveCachedFile(await open(path, 'r'), content.length, { start: 100, end: 2 * 1024 * 1024 }, () => undefined);
    assert.deepEqual(part.kind === 'stream' && part.range, { start: 100, end: 2 * 1024 * 1024 });
    const ranged = await drain(part);
    assert.ok(ranged.bytes.equals(content.subarray(100, 2 * 1024 * 1024 + 1)));
    assert.ok(ranged.largest <= 64 * 1024);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
