import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { digestOf, MediaType, OciError } from '#oci';
import type { BlobBody, ManifestContent, Registry } from '#registry';
import { FailoverRegistry } from './failover-registry';

/** A plain in-memory stand-in for a backend (pure logic: no process boundary is crossed here). */
class FakeBackend {
  calls: string[] = [];
  failure: OciError | undefined;
  manifests = new Map<string, Buffer>();
  blobs = new Map<string, Buffer>();
  /** Serves these bytes whatever digest is asked (a replica gone bad). */
  corrupt: Buffer | undefined;

  constructor(readonly name: string) {}

  async getManifest(_repo: string, reference: string): Promise<ManifestContent> {
    this.calls.push(`GET ${reference}`);
    if (this.failure) throw this.failure;
    const bytes = this.corrupt ?? this.manifests.get(reference);
    if (!bytes) throw new OciError('MANIFEST_UNKNOWN');
    return { bytes, mediaType: MediaType.OCI_MANIFEST, digest: reference };
  }

  async statManifest(_repo: string, reference: string): Promise<{ digest: string; mediaType: string; size: number }> {
    this.calls.push(`HEAD ${reference}`);
    if (this.failure) throw this.failure;
    const bytes = this.manifests.get(reference);
    if (!bytes) throw new OciError('MANIFEST_UNKNOWN');
    return { digest: reference, mediaType: MediaType.OCI_MANIFEST, size: bytes.length };
  }

  async getBlob(_repo: string, digest: string): Promise<BlobBody> {
    this.calls.push(`BLOB ${digest}`);
    if (this.failure) throw this.failure;
    const bytes = this.corrupt ?? this.blobs.get(digest);
    if (!bytes) throw new OciError('BLOB_UNKNOWN');
    // Many small chunks, so that a range and the held last piece cross chunk boundaries.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 100) }, (_, i) => bytes.subarray(i * 100, (i + 1) * 100));
    return { kind: 'stream', stream: Readable.from(chunks), size: bytes.length };
  }

  async putManifest(_repo: string, reference: string): Promise<{ digest: string }> {
    this.calls.push(`PUT ${reference}`);
    if (this.failure) throw this.failure;
    return { digest: reference };
  }
}

function setup(replicaCount = 2) {
  const primary = new FakeBackend('primary');
  const replicas = Array.from({ length: replicaCount }, (_, i) => new FakeBackend(`replica-${i + 1}`));
  const registry = new FailoverRegistry(primary as unknown as Registry, replicas as unknown as Registry[], pino({ level: 'silent' }));
  return { primary, replicas, registry };
}

const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
const manifestDigest = digestOf(manifest);

async function drain(body: BlobBody): Promise<Buffer> {
  assert.equal(body.kind, 'stream');
  const parts: Buffer[] = [];
  for await (const chunk of body.stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('FailoverRegistry', () => {
  test('a 404 at the primary is its answer: no replica is asked', async () => {
    const { primary, replicas, registry } = setup();
    replicas[0]!.manifests.set(manifestDigest, manifest);
    await assert.rejects(registry.getManifest('app', manifestDigest, []), (err: OciError) => err.code === 'MANIFEST_UNKNOWN');
    assert.deepEqual(primary.calls, [`GET ${manifestDigest}`]);
    assert.deepEqual(replicas[0]!.calls, []);
  });

  test('a tag never fails over, whatever the replica has under it', async () => {
    const { primary, replicas, registry } = setup();
    primary.failure = new OciError('UNAVAILABLE', 'down');
    replicas[0]!.manifests.set('v1', manifest);
    await assert.rejects(registry.getManifest('app', 'v1', []), (err: OciError) => err.message === 'down');
    await assert.rejects(registry.statManifest('app', 'v1', []), (err: OciError) => err.message === 'down');
    assert.deepEqual(replicas[0]!.calls, []);
  });

  test('by digest, replicas are asked in order; wrong bytes and a 404 are passed over; none: the primary\'s error', async () => {
    const { primary, replicas, registry } = setup(3);
    primary.failure = new OciError('TOOMANYREQUESTS', 'slow down');
    replicas[0]!.corrupt = Buffer.from('{"schemaVersion":2,"other":true}');
    replicas[2]!.manifests.set(manifestDigest, manifest);
    const served = await registry.getManifest('app', manifestDigest, []);
    assert.equal(served.servedBy, 'replica-3');
    assert.ok(served.bytes.equals(manifest));
    const meta = await registry.statManifest('app', manifestDigest, []);
    assert.deepEqual(meta, { digest: manifestDigest, mediaType: MediaType.OCI_MANIFEST, size: manifest.length, servedBy: 'replica-3' });
    replicas[2]!.manifests.clear();
    await assert.rejects(registry.getManifest('app', manifestDigest, []), (err: OciError) => err.message === 'slow down');
  });

  test('a 5xx at the primary fails over; writes never do', async () => {
    const { primary, replicas, registry } = setup();
    primary.failure = new OciError('INTERNAL', 'broken');
    replicas[0]!.manifests.set(manifestDigest, manifest);
    assert.equal((await registry.getManifest('app', manifestDigest, [])).servedBy, 'replica-1');
    await assert.rejects(registry.putManifest('app', 'v1', { bytes: manifest, mediaType: MediaType.OCI_MANIFEST, digest: manifestDigest }));
    assert.deepEqual(replicas.flatMap((r) => r.calls.filter((c) => c.startsWith('PUT'))), []);
  });

  test('a replica blob is streamed whole, verified; a range is cut from the verified whole', async () => {
    const { primary, replicas, registry } = setup();
    const bytes = randomBytes(1050);
    const digest = digestOf(bytes);
    primary.failure = new OciError('UNAVAILABLE');
    replicas[1]!.blobs.set(digest, bytes);
    const whole = await registry.getBlob('app', digest);
    assert.equal(whole.servedBy, 'replica-2');
    assert.ok((await drain(whole)).equals(bytes));
    const part = await registry.getBlob('app', digest, { start: 150, end: 849 });
    assert.deepEqual(part.kind === 'stream' && part.range, { start: 150, end: 849 });
    assert.ok((await drain(part)).equals(bytes.subarray(150, 850)));
    const tail = await registry.getBlob('app', digest, { start: 1000 });
    assert.ok((await drain(tail)).equals(bytes.subarray(1000)));
    assert.ok(replicas[1]!.calls.every((c) => c === `BLOB ${digest}`), 'the replica is always asked for the whole blob');
  });

  test('a replica blob whose bytes are not its digest: the reader gets an error, never all the bytes', async () => {
    const { primary, replicas, registry } = setup(1);
    const bytes = randomBytes(1050);
    const digest = digestOf(bytes);
    primary.failure = new OciError('UNAVAILABLE');
    replicas[0]!.corrupt = randomBytes(1050);
    for (const range of [undefined, { start: 0, end: 99 }]) {
      const body = await registry.getBlob('app', digest, range);
      assert.equal(body.kind, 'stream');
      const received: Buffer[] = [];
      await assert.rejects(
        (async () => { for await (const chunk of body.stream) received.push(chunk as Buffer); })(),
        (err: OciError) => err.code === 'UNAVAILABLE' && err.status === 502,
      );
      const expected = range ? 100 : 1050;
      assert.ok(Buffer.concat(received).length < expected, 'the last piece is held back');
    }
  });
});
