import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import pino from 'pino';
import { configSchema } from '#config';
import { createBackend } from '#registry';
import { MIB } from '../support/rss';
import { SyntheticBlob } from './synthetic-blob';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface BigImage {
  layers: number;
  layerBytes: number;
  /** Layers and config, as stored: what a copy moves. */
  bytes: number;
}

interface Layer {
  file: string;
  digest: string;
  diffId: string;
  size: number;
}

/**
 * A gzip layer (stored blocks: real gzip, so skopeo keeps it as it is, at the cost of no
 * compression) written to disk once, with its digest and the digest of its uncompressed content.
 */
async function writeLayer(dir: string, index: number, bytes: number): Promise<Layer> {
  const raw = new SyntheticBlob(bytes);
  const file = join(dir, `layer-${index}.tar.gz`);
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(raw.stream(), createGzip({ level: 0 }), new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  }), createWriteStream(file));
  return { file, digest: `sha256:${hash.digest('hex')}`, diffId: raw.digest, size };
}

/** Pushes an image of `layers` incompressible layers of `layerBytes` to `url` as `repository:tag` (layer files go to `dir`). */
export async function seedBigImage(url: string, repository: string, tag: string, dir: string, layers: number, layerBytes: number): Promise<BigImage> {
  const backendConfig = configSchema.parse({ backends: { seed: { type: 'registry', url } }, routes: [{ prefix: '', backend: 'seed' }] }).backends.seed!;
  const registry = await createBackend('seed', backendConfig, pino({ level: 'silent' }));
  try {
    const written: Layer[] = [];
    for (let i = 0; i < layers; i++) written.push(await writeLayer(dir, i, layerBytes));
    for (const layer of written) await registry.putBlob(repository, layer.digest, createReadStream(layer.file, { highWaterMark: MIB }), layer.size);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: written.map((l) => l.diffId) }, config: {} }));
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    await registry.putBlob(repository, configDigest, Readable.from([config]), config.length);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: written.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }));
    await registry.putManifest(repository, tag, { bytes: manifest, mediaType: OCI_MANIFEST, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` });
    return { layers, layerBytes, bytes: written.reduce((sum, l) => sum + l.size, config.length) };
  } finally {
    await registry.close();
  }
}
