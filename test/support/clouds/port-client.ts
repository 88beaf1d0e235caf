import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MANIFEST_MEDIA_TYPES } from '#oci';
import type { Registry } from '../../../libs/registry/src/port';
import type { BuiltBlob, BuiltImage } from '../oci-image';

/**
 * Pushes an image through the Registry port the way the gateway does: blobs (alternately one
 * monolithic PUT and a chunked session), platform manifests by digest, then the index by tag.
 */
export async function pushImage(registry: Registry, repo: string, image: BuiltImage): Promise<void> {
  let i = 0;
  for (const blob of image.blobs) {
    if (i++ % 2 === 0) {
      await registry.putBlob(repo, blob.digest, Readable.from([blob.bytes]), blob.bytes.length);
    } else {
      const half = Math.floor(blob.bytes.length / 2);
      const { handle } = await registry.startUpload(repo);
      const progress = await registry.writeChunk(repo, handle, { body: Readable.from([blob.bytes.subarray(0, half)]), offset: 0, length: half });
      await registry.finishUpload(repo, progress.handle, blob.digest, {
        body: Readable.from([blob.bytes.subarray(half)]), offset: half, length: blob.bytes.length - half,
      });
    }
  }
  for (const manifest of image.manifests) await registry.putManifest(repo, manifest.digest, content(manifest));
  await registry.putManifest(repo, image.tag, content(image.index));
}

/** Pulls the image by tag and checks every byte against its digest; returns the index digest. */
export async function pullImage(registry: Registry, repo: string, tag: string): Promise<string> {
  const index = await registry.getManifest(repo, tag, MANIFEST_MEDIA_TYPES);
  const children = (JSON.parse(index.bytes.toString('utf8')) as { manifests: { digest: string }[] }).manifests;
  for (const child of children) {
    const manifest = await registry.getManifest(repo, child.digest, MANIFEST_MEDIA_TYPES);
    const doc = JSON.parse(manifest.bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    for (const digest of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) await pullBlob(registry, repo, digest);
  }
  return index.digest;
}

/** Reads one blob through the port (proxy mode) and verifies its digest. */
export async function pullBlob(registry: Registry, repo: string, digest: string): Promise<number> {
  const body = await registry.getBlob(repo, digest);
  if (body.kind !== 'stream') throw new Error(`expected bytes for ${digest}, got a redirect`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body.stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== digest) throw new Error(`blob ${digest} arrived as ${actual}`);
  return size;
}

function content(blob: BuiltBlob): { bytes: Buffer; mediaType: string; digest: string } {
  return { bytes: blob.bytes, mediaType: blob.mediaType, digest: blob.digest };
}
