import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BuiltBlob {
  digest: string;
  bytes: Buffer;
  mediaType: string;
}

export interface BuiltImage {
  /** The OCI layout directory (skopeo's `oci:<dir>:<tag>`). */
  layoutDir: string;
  tag: string;
  index: BuiltBlob;
  manifests: BuiltBlob[];
  blobs: BuiltBlob[];
  /** An artifact manifest whose subject is the index (a signature-like referrer). */
  referrer?: BuiltBlob;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function blob(bytes: Buffer, mediaType: string): BuiltBlob {
  return { digest: sha(bytes), bytes, mediaType };
}

/**
 * Builds a multi-arch OCI image (index + one manifest per platform, each with its own config and
 * `layersPerPlatform` gzip layers of random content) as an OCI layout on disk.
 */
export function buildMultiArchImage(dir: string, options: { tag?: string; layersPerPlatform?: number; layerBytes?: number; withReferrer?: boolean } = {}): BuiltImage {
  const tag = options.tag ?? 'v1';
  const blobs: BuiltBlob[] = [];
  const manifests: BuiltBlob[] = [];
  const platformEntries: object[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const layers: BuiltBlob[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < (options.layersPerPlatform ?? 2); i++) {
      const raw = randomBytes(options.layerBytes ?? 2048);
      diffIds.push(sha(raw));
      layers.push(blob(gzipSync(raw), 'application/vnd.oci.image.layer.v1.tar+gzip'));
    }
    const config = blob(Buffer.from(JSON.stringify({
      architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {},
    })), 'application/vnd.oci.image.config.v1+json');
    const manifest = blob(Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: describe(config),
      layers: layers.map(describe),
    })), 'application/vnd.oci.image.manifest.v1+json');
    blobs.push(config, ...layers);
    manifests.push(manifest);
    platformEntries.push({ ...describe(manifest), platform: { architecture, os: 'linux' } });
  }
  const index = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: platformEntries,
  })), 'application/vnd.oci.image.index.v1+json');

  let referrer: BuiltBlob | undefined;
  if (options.withReferrer) {
    const empty = blob(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
    const signature = blob(randomBytes(256), 'application/vnd.example.signature.v1');
    blobs.push(empty, signature);
    referrer = blob(Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.signature.v1',
      config: describe(empty),
      layers: [describe(signature)],
      subject: describe(index),
      annotations: { 'org.example.signed-by': 'gantry-tests' },
    })), 'application/vnd.oci.image.manifest.v1+json');
  }

  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [...blobs, ...manifests, index, ...(referrer ? [referrer] : [])]) {
    writeFileSync(join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.bytes);
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...describe(index), annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { layoutDir: dir, tag, index, manifests, blobs, referrer };
}

export function describe(b: BuiltBlob): { mediaType: string; digest: string; size: number } {
  return { mediaType: b.mediaType, digest: b.digest, size: b.bytes.length };
}
