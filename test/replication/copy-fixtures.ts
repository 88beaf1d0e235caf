import { Readable } from 'node:stream';
import pino from 'pino';
import { backendSchema } from '#config';
import { parseManifest } from '#oci';
import { createBackend, type Registry } from '#registry';
import type { CopyRequest, ResumeState, ResumeStore } from '#replication';
import type { SignaturePusher } from '../support/cosign';
import type { BuiltBlob, BuiltImage } from '../support/oci-image';
import { sha256 } from '../support/v2-client';
import { pushMultiArchWith } from './replication-fixtures';

export const silent = pino({ level: 'silent' });

/** A real generic backend for a v2 registry URL, as the gateway builds one from its config. */
export async function registryAt(url: string, name = 'upstream'): Promise<Registry> {
  return createBackend(name, backendSchema.parse({ type: 'registry', url }), silent);
}

/** Pushes straight into a Registry port, as another client of that registry would. */
export function intoRegistry(registry: Registry): SignaturePusher {
  return {
    pushBlob: (repository, blob) => registry.putBlob(repository, blob.digest, Readable.from([blob.bytes]), blob.bytes.length),
    async pushManifest(repository, reference, manifest, mediaType) {
      await registry.putManifest(repository, reference, { ...manifest, mediaType }, parseManifest(manifest.bytes, mediaType).subject);
    },
  };
}

/** Builds a two-platform OCI image and pushes it into `registry` (blobs, platform manifests, index under `tag`). */
export function pushMultiArchImage(registry: Registry, repository: string, tag: string, options: { layerBytes?: number; layersPerPlatform?: number } = {}): Promise<BuiltImage> {
  return pushMultiArchWith(intoRegistry(registry), repository, tag, options);
}

/** An SPDX SBOM attached to `subject` as an OCI 1.1 referrer; returns the SBOM manifest. */
export async function pushSbom(registry: Registry, repository: string, subject: BuiltBlob): Promise<BuiltBlob> {
  const pusher = intoRegistry(registry);
  const empty = Buffer.from('{}');
  const sbom = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: repository, packages: [] }));
  await pusher.pushBlob(repository, { bytes: empty, digest: sha256(empty) });
  await pusher.pushBlob(repository, { bytes: sbom, digest: sha256(sbom) });
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/spdx+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
    layers: [{ mediaType: 'application/spdx+json', digest: sha256(sbom), size: sbom.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
  }));
  const manifest = { bytes, digest: sha256(bytes), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  await pusher.pushManifest(repository, manifest.digest, manifest, manifest.mediaType);
  return manifest;
}

/** Resume state kept in memory across two copy attempts, as job data would keep it. */
export class MemoryResumeStore implements ResumeStore {
  readonly states = new Map<string, ResumeState>();

  async get(digest: string): Promise<ResumeState | undefined> {
    return this.states.get(digest);
  }

  async set(state: ResumeState): Promise<void> {
    this.states.set(state.digest, state);
  }

  async delete(digest: string): Promise<void> {
    this.states.delete(digest);
  }
}

export const copyTuning: Pick<CopyRequest, 'chunkThresholdBytes' | 'chunkBytes' | 'blobConcurrency'> = {
  chunkThresholdBytes: 64 * 1024 * 1024,
  chunkBytes: 16 * 1024 * 1024,
  blobConcurrency: 4,
};
