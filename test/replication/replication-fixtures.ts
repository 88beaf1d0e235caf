import assert from 'node:assert/strict';
import type { ReplicationJobView } from '#replication';
import { overHttp, type SignaturePusher } from '../support/cosign';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir, waitFor } from '../support/temp';
import { V2Client } from '../support/v2-client';

/** A registry backend entry for a distribution (or a front) URL. */
export const registryBackend = (url: string): Record<string, unknown> => ({ type: 'registry', url });

/**
 * A gateway and worker config replicating registry `a` (every name routed there) to registry `b`,
 * with external workers unless `replication` (rules and tuning, merged over that) names others;
 * `extra` merged over the rest.
 */
export function aToBConfig(redisUrl: string, aUrl: string, bUrl: string, replication: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    redis: { url: redisUrl },
    backends: { a: registryBackend(aUrl), b: registryBackend(bUrl) },
    routes: [{ prefix: '', backend: 'a' }],
    replication: { workers: 'external', ...replication },
    ...extra,
  };
}

/** Builds a two-platform image and pushes it through `client` (blobs, platform manifests, then the index under `tag`). */
export function pushMultiArch(client: V2Client, repository: string, tag: string): Promise<BuiltImage> {
  return pushMultiArchWith(overHttp(client), repository, tag);
}

/** Builds a two-platform OCI image and pushes it with `pusher` (blobs, platform manifests, index under `tag`). */
export async function pushMultiArchWith(pusher: SignaturePusher, repository: string, tag: string, options: { layerBytes?: number; layersPerPlatform?: number } = {}): Promise<BuiltImage> {
  const dir = tempDir('replication-image');
  try {
    const image = buildMultiArchImage(dir.path, { tag, ...options });
    for (const blob of image.blobs) await pusher.pushBlob(repository, blob);
    for (const manifest of image.manifests) await pusher.pushManifest(repository, manifest.digest, manifest, manifest.mediaType);
    await pusher.pushManifest(repository, tag, image.index, image.index.mediaType);
    return image;
  } finally {
    dir.remove();
  }
}

/** `skopeo inspect --raw` of a reference at a plain-HTTP registry. */
export async function rawManifest(host: string, reference: string): Promise<string> {
  return (await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${host}/${reference}`])).stdout;
}

/** Replication jobs through the admin API. */
export async function listJobs(gatewayUrl: string, query = ''): Promise<ReplicationJobView[]> {
  const res = await fetch(`${gatewayUrl}/admin/v1/replication/jobs${query ? `?${query}` : ''}`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { jobs: ReplicationJobView[] }).jobs;
}

/** Waits until `count` jobs are in `state` (and none is waiting, active or delayed when `settled`). */
export async function waitForJobs(gatewayUrl: string, state: string, count: number, timeoutMs = 60_000): Promise<ReplicationJobView[]> {
  let jobs: ReplicationJobView[] = [];
  try {
    await waitFor(`${count} ${state} replication jobs`, async () => {
      jobs = await listJobs(gatewayUrl, `state=${state}`);
      return jobs.length >= count;
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await listJobs(gatewayUrl).catch(() => []), null, 1)}`, { cause: err });
  }
  return jobs;
}

export async function tagsAt(url: string, repository: string): Promise<string[]> {
  const res = await new V2Client(url).request('GET', `/v2/${repository}/tags/list`);
  if (res.status !== 200) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}
