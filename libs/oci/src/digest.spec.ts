import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readBounded } from './bounded-read';
import { digestOf, DigestVerifier, parseDigest } from './digest';
import { OciError } from './errors';

async function collect(stream: Readable): Promise<{ bytes: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

const parts = [Buffer.from('first-'), Buffer.from('second-'), Buffer.from('last')];
const whole = Buffer.concat(parts);

test('verifies content against its digest and size', async () => {
  const ok = await collect(Readable.from(parts).pipe(new DigestVerifier(digestOf(whole), whole.length)));
  assert.equal(ok.error, undefined);
  assert.deepEqual(ok.bytes, whole);
  const wrong = await collect(Readable.from(parts).pipe(new DigestVerifier(digestOf(Buffer.from('x')))));
  assert.ok(wrong.error instanceof OciError && wrong.error.code === 'DIGEST_INVALID');
  const short = await collect(Readable.from(parts).pipe(new DigestVerifier(digestOf(whole), whole.length + 1)));
  assert.ok(short.error instanceof OciError && short.error.code === 'SIZE_INVALID');
});

test('holdLastChunk never lets corrupt content complete', async () => {
  const corrupt = await collect(Readable.from(parts).pipe(new DigestVerifier(digestOf(Buffer.from('other')), undefined, { holdLastChunk: true })));
  assert.ok(corrupt.error instanceof OciError);
  assert.ok(corrupt.bytes.length < whole.length, 'the last chunk is withheld');
  const good = await collect(Readable.from(parts).pipe(new DigestVerifier(digestOf(whole), whole.length, { holdLastChunk: true })));
  assert.deepEqual(good.bytes, whole);
});

test('only verifiable digests parse', () => {
  assert.deepEqual(parseDigest(`sha256:${'0'.repeat(64)}`), { algorithm: 'sha256', hex: '0'.repeat(64) });
  assert.equal(parseDigest(`sha512:${'a'.repeat(128)}`).algorithm, 'sha512');
  for (const bad of ['sha256', `sha256:${'0'.repeat(63)}`, `sha256:${'G'.repeat(64)}`, `md5:${'0'.repeat(32)}`, `../${'0'.repeat(64)}`]) {
    assert.throws(() => parseDigest(bad), OciError, bad);
  }
});

test('readBounded stops at the cap; drain keeps the rest readable for a reply', async () => {
  assert.deepEqual(await readBounded(Readable.from(parts), 100, () => new Error('big')), whole);
  const destroyed = Readable.from(parts);
  await assert.rejects(readBounded(destroyed, 8, () => new Error('big')), /big/);
  assert.equal(destroyed.destroyed, true);
  const drained = Readable.from(parts);
  await assert.rejects(readBounded(drained, 8, () => new Error('big'), 'drain'), /big/);
  assert.equal(drained.destroyed, false);
});
