import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { ChunkRelay } from './chunk-relay';

test('a source that already failed ends the relay at once, as broken off', async () => {
  const source = new Readable({ read() {} });
  source.on('error', () => undefined); // whoever read it first saw the error
  source.destroy(new Error('client went away'));
  await new Promise((resolve) => setImmediate(resolve));
  const relay = new ChunkRelay(source);
  assert.equal(await text(relay), '');
  assert.equal(relay.brokeOff, true);
});

test('a source that breaks off midway: the relay ends after what arrived', async () => {
  const source = new Readable({ read() {} });
  const relay = new ChunkRelay(source);
  source.push('abc');
  setImmediate(() => source.destroy(new Error('cut')));
  assert.equal(await text(relay), 'abc');
  assert.equal(relay.brokeOff, true);
  assert.equal(relay.bytes, 3);
});

test('a whole source is relayed whole', async () => {
  const relay = new ChunkRelay(Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
  assert.equal(await text(relay), 'abcd');
  assert.equal(relay.brokeOff, false);
});
