import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import { MediaType, OciError, type ErrorCode } from '#oci';
import { LocalRegistry } from './local-registry';

/** Shared fixtures for the local backend's specs: real temp folders, real files. */

export interface Fixture {
  /** The folder the store lives in; the store is `<parent>/store`. */
  parent: string;
  store: string;
  registry: LocalRegistry;
  reopen(options?: { delete?: boolean; uploadExpirySeconds?: number }): Promise<LocalRegistry>;
  cleanup(): Promise<void>;
}

export async function fixture(options: { delete?: boolean; uploadExpirySeconds?: number } = {}): Promise<Fixture> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'gantry-local-'));
  const store = path.join(parent, 'store');
  const open = (o: { delete?: boolean; uploadExpirySeconds?: number }) =>
    new LocalRegistry('local', { path: store, delete: o.delete ?? true, uploadExpirySeconds: o.uploadExpirySeconds ?? 3600 }).open();
  const opened: LocalRegistry[] = [await open(options)];
  return {
    parent,
    store,
    registry: opened[0]!,
    async reopen(o = {}) {
      const registry = await open({ ...options, ...o });
      opened.push(registry);
      return registry;
    },
    async cleanup() {
      for (const r of opened) await r.close();
      await fs.rm(parent, { recursive: true, force: true });
    },
  };
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blob(size = 1000): { bytes: Buffer; digest: string } {
  const bytes = randomBytes(size);
  return { bytes, digest: sha256(bytes) };
}

export function body(bytes: Uint8Array | string): Readable {
  return Readable.from([Buffer.from(bytes)]);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, status?: number): Promise<OciError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OciError, `expected OciError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (status !== undefined) assert.equal(err.status, status);
    return err;
  }
  assert.fail(`expected OciError ${code}, but the call succeeded`);
}

export interface Built {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

function built(doc: unknown, mediaType: string): Built {
  const bytes = Buffer.from(JSON.stringify(doc));
  return { bytes, digest: sha256(bytes), mediaType };
}

/** Pushes a config and one layer to `repo` and returns an image manifest referencing them. */
export async function pushImage(
  registry: LocalRegistry,
  repo: string,
  extra: { subject?: Built; artifactType?: string; annotations?: Record<string, string> } = {},
): Promise<Built & { layer: string; config: string }> {
  const config = blob(50);
  const layer = blob(500);
  await registry.putBlob(repo, config.digest, body(config.bytes));
  await registry.putBlob(repo, layer.digest, body(layer.bytes));
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    config: { mediaType: MediaType.OCI_CONFIG, digest: config.digest, size: config.bytes.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.bytes.length }],
  };
  if (extra.artifactType) doc.artifactType = extra.artifactType;
  if (extra.subject) doc.subject = { mediaType: extra.subject.mediaType, digest: extra.subject.digest, size: extra.subject.bytes.length };
  if (extra.annotations) doc.annotations = extra.annotations;
  return { ...built(doc, MediaType.OCI_MANIFEST), layer: layer.digest, config: config.digest };
}

export function indexOf(children: Built[]): Built {
  return built(
    {
      schemaVersion: 2,
      mediaType: MediaType.OCI_INDEX,
      manifests: children.map((c) => ({ mediaType: c.mediaType, digest: c.digest, size: c.bytes.length })),
    },
    MediaType.OCI_INDEX,
  );
}

/** Every file below `dir`, relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

export function blobFile(store: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(store, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}
