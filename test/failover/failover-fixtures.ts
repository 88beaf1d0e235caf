import assert from 'node:assert/strict';
import { startCountingFront, type CountingFront } from '../support/counting-front';
import { startDistribution, type Distribution } from '../support/distribution';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { waitFor } from '../support/temp';
import { type Blob, V2Client } from '../support/v2-client';

export interface Image {
  config: Blob;
  layer: Blob;
  manifest: Blob;
}

/** A primary registry, a replica behind a counting front (so a test can see what reached it), and a gateway over both. */
export interface FailoverSetup {
  primary: Distribution;
  replica: Distribution;
  replicaFront: CountingFront;
  gateway: GatewayProcess;
  client: V2Client;
  /** Straight to the registries, as replication would write them. */
  toPrimary: V2Client;
  toReplica: V2Client;
  stop(): Promise<void>;
}

/** Fail fast and never open the circuit, so the primary's return is seen at once. */
const BACKEND_TIMING = { retries: 0, timeouts: { connectMs: 500, readMs: 2000, requestMs: 2000 }, circuitBreaker: { failures: 0 } };

/** `routes` get the backends `primary` and `replica`; `extraBackends` may add more (over the same processes). */
export async function startFailoverSetup(
  routes: Record<string, unknown>[],
  extraBackends: (primary: Distribution, replicaUrl: string) => Record<string, unknown> = () => ({}),
): Promise<FailoverSetup> {
  const primary = await startDistribution();
  const replica = await startDistribution();
  const replicaFront = await startCountingFront(replica.url);
  const gateway = await startGateway({
    backends: {
      primary: { type: 'registry', url: primary.url, ...BACKEND_TIMING },
      replica: { type: 'registry', url: replicaFront.url, ...BACKEND_TIMING },
      ...extraBackends(primary, replicaFront.url),
    },
    routes,
  });
  return {
    primary, replica, replicaFront, gateway,
    client: new V2Client(gateway.url),
    toPrimary: new V2Client(primary.url),
    toReplica: new V2Client(replica.url),
    async stop() {
      await gateway.stop();
      await replicaFront.stop();
      await Promise.all([primary.stop(), replica.stop()]);
    },
  };
}

/** Writes an image's blobs and manifest to a registry, by digest and, with `tag`, under the tag. */
export async function copyImage(to: V2Client, repo: string, image: Image, tag?: string): Promise<void> {
  await to.pushBlob(repo, image.config);
  await to.pushBlob(repo, image.layer);
  const res = await to.pushManifest(repo, tag ?? image.manifest.digest, image.manifest);
  assert.equal(res.status, 201, await res.text());
}

/** Waits for the gateway's log line of a failover (or of one no replica could serve) for `object`. */
export async function failoverLogged(gateway: GatewayProcess, object: string, served: boolean): Promise<Record<string, unknown>> {
  const wanted = served ? 'served by replica' : 'no replica could serve';
  let found: Record<string, unknown> | undefined;
  await waitFor(`failover log line for ${object}`, async () => {
    found = logLines(gateway.logs).find((line) => line.object === object && String(line.msg).includes(wanted));
    return found !== undefined;
  }, 5000);
  return found!;
}
