export const MediaType = {
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_EMPTY: 'application/vnd.oci.empty.v1+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_MANIFEST_V1_SIGNED: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DOCKER_MANIFEST_V1: 'application/vnd.docker.distribution.manifest.v1+json',
  OCTET_STREAM: 'application/octet-stream',
} as const;

/** Media types that list child manifests rather than blobs. */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.OCI_INDEX, MediaType.DOCKER_MANIFEST_LIST]);

/** Every manifest media type Gantry accepts and asks upstreams for. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OCI_MANIFEST,
  MediaType.OCI_INDEX,
  MediaType.DOCKER_MANIFEST,
  MediaType.DOCKER_MANIFEST_LIST,
  MediaType.DOCKER_MANIFEST_V1_SIGNED,
  MediaType.DOCKER_MANIFEST_V1,
];

/** The spec caps manifests at 4 MiB (ECR and ACR enforce exactly this). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
