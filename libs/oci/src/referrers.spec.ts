import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OciError } from './errors';
import { parseManifest } from './manifest';
import { MediaType } from './media-types';
import { MAX_REFERRER_ANNOTATION_BYTES, parseReferrerEntry, referrerDescriptor, referrersFromIndex } from './referrers';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const entry = { mediaType: MediaType.OCI_MANIFEST, digest: d('1'), size: 100 };

test('an entry keeps only the fields a referrers response defines', () => {
  const deep = '['.repeat(6000) + ']'.repeat(6000);
  const raw = JSON.parse(`{"mediaType":"${entry.mediaType}","digest":"${entry.digest}","size":100,"artifactType":"application/vnd.example.sig",` +
    `"annotations":{"k":"v"},"platform":{"architecture":"amd64","os":"linux","x":${deep}},"urls":["http://x"],"data":"e30="}`) as unknown;
  const parsed = parseReferrerEntry(raw);
  assert.deepEqual(parsed, { ...entry, artifactType: 'application/vnd.example.sig', annotations: { k: 'v' } });
  assert.doesNotThrow(() => JSON.stringify(parsed));
});

test('an entry that fails validation is refused; annotations are bounded', () => {
  for (const bad of [
    { ...entry, digest: `md5:${'0'.repeat(32)}` },
    { ...entry, size: -1 },
    { ...entry, mediaType: 7 },
    { ...entry, artifactType: 'nope' },
    { ...entry, annotations: { a: 1 } },
    { ...entry, annotations: { big: 'x'.repeat(MAX_REFERRER_ANNOTATION_BYTES) } },
    [entry],
    null,
  ]) {
    assert.throws(() => parseReferrerEntry(bad), OciError, JSON.stringify(bad)?.slice(0, 80));
  }
  assert.ok(parseReferrerEntry({ ...entry, annotations: { fits: 'x'.repeat(MAX_REFERRER_ANNOTATION_BYTES - 4) } }).annotations);
});

test('an index is read entry by entry: bad entries are skipped with a reason, the rest listed', () => {
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OCI_INDEX,
    manifests: [entry, { ...entry, digest: 'sha256:short' }, { ...entry, digest: d('2'), annotations: { n: 1 } }, { ...entry, digest: d('3') }],
  }));
  const { manifests, skipped } = referrersFromIndex(bytes);
  assert.deepEqual(manifests.map((m) => m.digest), [d('1'), d('3')]);
  assert.equal(skipped.length, 2);
  assert.match(skipped[0]!, /^manifests\[1\]\.digest/);
  assert.match(skipped[1]!, /^manifests\[2\]\.annotations\.n/);
  for (const notIndex of ['{nope', '[]', '{"manifests":{}}', `{"mediaType":"${MediaType.OCI_MANIFEST}","manifests":[]}`]) {
    assert.throws(() => referrersFromIndex(Buffer.from(notIndex)), OciError, notIndex);
  }
});

test('a pushed referrer is listed with its artifactType, else its config media type, and its annotations', () => {
  const manifest = (extra: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: 'application/vnd.example.config+json', digest: d('4'), size: 2 }, layers: [], subject: entry, ...extra,
  }));
  const withType = manifest({ artifactType: 'application/vnd.example.sig', annotations: { a: 'b' } });
  assert.deepEqual(referrerDescriptor(parseManifest(withType, undefined), withType.length, d('5')), {
    mediaType: MediaType.OCI_MANIFEST, digest: d('5'), size: withType.length, artifactType: 'application/vnd.example.sig', annotations: { a: 'b' },
  });
  const plain = manifest({});
  assert.equal(referrerDescriptor(parseManifest(plain, undefined), plain.length, d('6')).artifactType, 'application/vnd.example.config+json');
  const heavy = manifest({ annotations: { big: 'x'.repeat(MAX_REFERRER_ANNOTATION_BYTES) } });
  assert.throws(() => referrerDescriptor(parseManifest(heavy, undefined), heavy.length, d('7')), /referrer\.annotations/);
});
