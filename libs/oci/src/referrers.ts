import { artifactTypeOf, type Descriptor } from './manifest';
import { MediaType } from './media-types';

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof MediaType.OCI_INDEX;
  manifests: Descriptor[];
}

/** The descriptor a referrers index lists for a manifest that has a subject. */
export function referrerDescriptor(bytes: Uint8Array, mediaType: string, digest: string, annotations?: Record<string, string>): Descriptor {
  const d: Descriptor = { mediaType, digest, size: bytes.length };
  const artifactType = artifactTypeOf(bytes);
  if (artifactType) d.artifactType = artifactType;
  if (annotations && Object.keys(annotations).length > 0) d.annotations = annotations;
  return d;
}

export function referrersIndex(manifests: Descriptor[]): ReferrersIndex {
  return { schemaVersion: 2, mediaType: MediaType.OCI_INDEX, manifests };
}

/** Applies the `artifactType` filter of the referrers API. */
export function filterReferrers(manifests: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? manifests.filter((m) => m.artifactType === artifactType) : manifests;
}
