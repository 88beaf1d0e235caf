import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { digestOf, MediaType, OciError, type Page } from '#oci';
import type { ManifestContent, ManifestMeta, Registry } from '#registry';
import { cacheKeys } from './cache-keys';
import { CachingRegistry } from './caching-registry';
import { InFlight } from './in-flight';
import { MemoryCacheStore } from './memory-cache-store';

const INDEX = MediaType.OCI_INDEX;
const MANIFEST = MediaType.OCI_MANIFEST;

/** A plain in-memory stand-in for a backend (pure logic: no process boundary is crossed here). */
class FakeBackend {
  calls: string[] = [];
  failure: OciError | undefined;
  /** Fails reads by tag only (a failover below answers digests from a replica). */
  tagFailure: OciError | undefined;
  tags = new Map<string, Buffer>();
  release: (() => void) | undefined;
  private gate: Promise<void> | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = () => { this.gate = undefined; resolve(); }));
  }

  async getManifest(_repo: string, reference: string, _accept: readonly string[]): Promise<ManifestContent> {
    this.calls.push(`GET ${reference}`);
    await this.gate;
    if (this.failure) throw this.failure;
    if (this.tagFailure && !reference.includes(':')) throw this.tagFailure;
    const bytes = reference.includes(':') ? [...this.tags.values()].find((b) => digestOf(b) === reference) : this.tags.get(reference);
    if (!bytes) throw new OciError('MANIFEST_UNKNOWN');
    return { bytes, mediaType: JSON.parse(bytes.toString()).mediaType as string, digest: digestOf(bytes) };
  }

  async statManifest(repo: string, reference: string, accept: readonly string[]): Promise<ManifestMeta> {
    this.calls.push(`HEAD ${reference}`);
    if (this.failure) throw this.failure;
    const m = await this.getManifest(repo, reference, accept).finally(() => this.calls.pop());
    return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  }

  async listTags(): Promise<Page> {
    this.calls.push('TAGS');
    if (this.failure) throw this.failure;
    return { items: [...this.tags.keys()].sort() };
  }

  async putManifest(_repo: string, reference: string, manifest: ManifestContent): Promise<{ digest: string }> {
    this.tags.set(reference, manifest.bytes);
    return { digest: manifest.digest };
  }
}

function setup(options: { tagTtlMs?: number; staleIfErrorMs?: number } = {}) {
  let clock = 1_000_000;
  const backend = new FakeBackend();
  const store = new MemoryCacheStore(1024 * 1024, () => clock);
  const registry = new CachingRegistry(backend as unknown as Registry, {
    backend: 'up',
    policy: { tagTtlMs: options.tagTtlMs ?? 60_000, listTtlMs: options.tagTtlMs ?? 30_000, staleIfErrorMs: options.staleIfErrorMs ?? 3_600_000 },
    store,
    inFlight: new InFlight(),
    logger: pino({ level: 'silent' }),
    now: () => clock,
  });
  return { backend, store, registry, advance: (ms: number) => (clock += ms) };
}

const doc = (mediaType: string, n: number): Buffer => Buffer.from(`{"schemaVersion":2,  "mediaType":"${mediaType}","n":${n}}`);
const ALL = [INDEX, MANIFEST];

describe('CachingRegistry', () => {
  test('a tag is a miss, then a hit with the same bytes; HEAD by tag and GET by digest are hits', async () => {
    const { backend, registry } = setup();
    backend.tags.set('v1', doc(INDEX, 1));
    const first = await registry.getManifest('app', 'v1', ALL);
    assert.equal(first.cacheStatus, 'miss');
    const second = await registry.getManifest('app', 'v1', ALL);
    assert.equal(second.cacheStatus, 'hit');
    assert.ok(second.bytes.equals(doc(INDEX, 1)), 'byte-exact, whitespace kept');
    assert.equal(second.mediaType, INDEX);
    assert.equal((await registry.statManifest('app', 'v1', ALL)).cacheStatus, 'hit');
    assert.equal((await registry.getManifest('app', first.digest, ALL)).cacheStatus, 'hit');
    assert.deepEqual(backend.calls, ['GET v1']);
  });

  test('tag entries are per Accept set: another set goes upstream once', async () => {
    const { backend, registry } = setup();
    backend.tags.set('v1', doc(INDEX, 1));
    await registry.getManifest('app', 'v1', [INDEX, MANIFEST]);
    assert.equal((await registry.getManifest('app', 'v1', [MANIFEST, INDEX, MANIFEST])).cacheStatus, 'hit', 'same set, other order');
    assert.equal((await registry.getManifest('app', 'v1', [MANIFEST])).cacheStatus, 'miss');
    assert.equal(backend.calls.length, 2);
  });

  test('a cached digest whose media type the client does not accept goes upstream', async () => {
    const { backend, registry } = setup();
    backend.tags.set('v1', doc(INDEX, 1));
    const { digest } = await registry.getManifest('app', 'v1', ALL);
    assert.equal((await registry.getManifest('app', digest, [MANIFEST])).cacheStatus, 'miss');
  });

  test('cached bytes that no longer hash to their digest are never served', async () => {
    const { backend, store, registry } = setup();
    backend.tags.set('v1', doc(INDEX, 1));
    const { digest } = await registry.getManifest('app', 'v1', ALL);
    const key = cacheKeys.manifest('up', 'app', digest);
    // A store that answers with other bytes (Redis, another replica): a new Buffer, checked again.
    const entry = Buffer.from((await store.get(key))!);
    entry[entry.length - 2] ^= 1;
    await store.set(key, entry, 0);
    const again = await registry.getManifest('app', digest, ALL);
    assert.equal(again.cacheStatus, 'miss');
    assert.ok(again.bytes.equals(doc(INDEX, 1)));
  });

  test('past the TTL: 50 concurrent reads are answered at once from the cache and ONE refresh goes upstream', async () => {
    const { backend, registry, advance } = setup({ tagTtlMs: 1000 });
    backend.tags.set('v1', doc(INDEX, 1));
    await registry.getManifest('app', 'v1', ALL);
    backend.tags.set('v1', doc(INDEX, 2));
    advance(1500);
    backend.calls = [];
    backend.hold();
    const answers = await Promise.all(Array.from({ length: 50 }, () => registry.getManifest('app', 'v1', ALL)));
    assert.ok(answers.every((a) => a.cacheStatus === 'hit' && a.bytes.equals(doc(INDEX, 1))));
    backend.release!();
    await new Promise((resolve) => setImmediate(resolve));
    const refreshed = await registry.getManifest('app', 'v1', ALL);
    assert.equal(refreshed.cacheStatus, 'hit');
    assert.ok(refreshed.bytes.equals(doc(INDEX, 2)), 'the refresh landed');
    assert.deepEqual(backend.calls, ['GET v1']);
  });

  test('past twice the TTL a tag is fetched before answering; concurrent misses share one upstream call', async () => {
    const { backend, registry, advance } = setup({ tagTtlMs: 1000 });
    backend.tags.set('v1', doc(INDEX, 1));
    await registry.getManifest('app', 'v1', ALL);
    advance(2500);
    backend.calls = [];
    const answers = await Promise.all(Array.from({ length: 20 }, () => registry.getManifest('app', 'v1', ALL)));
    assert.ok(answers.every((a) => a.cacheStatus === 'miss'));
    assert.deepEqual(backend.calls, ['GET v1']);
  });

  test('stale-if-error: within the budget the last answer is served as stale; past it, the upstream error', async () => {
    const { backend, registry, advance } = setup({ tagTtlMs: 1000, staleIfErrorMs: 10_000 });
    backend.tags.set('v1', doc(INDEX, 1));
    await registry.getManifest('app', 'v1', ALL);
    await registry.listTags('app', {});
    backend.failure = new OciError('TOOMANYREQUESTS');
    advance(5000);
    const stale = await registry.getManifest('app', 'v1', ALL);
    assert.equal(stale.cacheStatus, 'stale');
    assert.ok(stale.bytes.equals(doc(INDEX, 1)));
    assert.equal((await registry.statManifest('app', 'v1', ALL)).cacheStatus, 'stale');
    assert.equal((await registry.listTags('app', {})).cacheStatus, 'stale');
    advance(6000);
    await assert.rejects(registry.getManifest('app', 'v1', ALL), (err: OciError) => err.code === 'TOOMANYREQUESTS');
  });

  test('stale-if-error never hides a 404, and staleIfError 0 turns it off', async () => {
    const off = setup({ tagTtlMs: 1000, staleIfErrorMs: 0 });
    off.backend.tags.set('v1', doc(INDEX, 1));
    await off.registry.getManifest('app', 'v1', ALL);
    off.advance(2500);
    off.backend.failure = new OciError('UNAVAILABLE');
    await assert.rejects(off.registry.getManifest('app', 'v1', ALL), (err: OciError) => err.code === 'UNAVAILABLE');
    const on = setup({ tagTtlMs: 1000 });
    on.backend.tags.set('v1', doc(INDEX, 1));
    await on.registry.getManifest('app', 'v1', ALL);
    on.advance(2500);
    on.backend.failure = new OciError('MANIFEST_UNKNOWN');
    await assert.rejects(on.registry.getManifest('app', 'v1', ALL), (err: OciError) => err.code === 'MANIFEST_UNKNOWN');
  });

  test('stale-if-error for a tag whose bytes were never cached (seen by a HEAD): asked by the digest last seen, never by the tag', async () => {
    const { backend, registry } = setup({ tagTtlMs: 1000 });
    backend.tags.set('v1', doc(INDEX, 1));
    const { digest } = await registry.statManifest('app', 'v1', ALL);
    backend.tags.set('v1', doc(INDEX, 2));
    backend.tags.set('kept', doc(INDEX, 1));
    backend.tagFailure = new OciError('UNAVAILABLE');
    backend.calls = [];
    const stale = await registry.getManifest('app', 'v1', ALL);
    assert.equal(stale.cacheStatus, 'stale');
    assert.equal(stale.digest, digest);
    assert.ok(stale.bytes.equals(doc(INDEX, 1)));
    assert.deepEqual(backend.calls, ['GET v1', `GET ${digest}`]);
    // The digest cannot be had either: the client gets the upstream's error for the tag.
    const other = setup({ tagTtlMs: 1000 });
    other.backend.tags.set('v1', doc(INDEX, 1));
    await other.registry.statManifest('app', 'v1', ALL);
    other.backend.failure = new OciError('UNAVAILABLE', 'down');
    await assert.rejects(other.registry.getManifest('app', 'v1', ALL), (err: OciError) => err.code === 'UNAVAILABLE');
  });

  test('a push through the decorator replaces the tag and the tag list at once', async () => {
    const { backend, registry } = setup();
    backend.tags.set('v1', doc(INDEX, 1));
    await registry.getManifest('app', 'v1', ALL);
    await registry.listTags('app', {});
    const bytes = doc(INDEX, 3);
    await registry.putManifest('app', 'v1', { bytes, mediaType: INDEX, digest: digestOf(bytes) });
    await registry.putManifest('app', 'v2', { bytes, mediaType: INDEX, digest: digestOf(bytes) });
    const after = await registry.getManifest('app', 'v1', ALL);
    assert.equal(after.cacheStatus, 'miss');
    assert.ok(after.bytes.equals(bytes));
    const tags = await registry.listTags('app', {});
    assert.equal(tags.cacheStatus, 'miss');
    assert.deepEqual(tags.items, ['v1', 'v2']);
  });
});
