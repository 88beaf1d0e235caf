import { startDistribution, type Distribution } from '../distribution';
import { startBlobStorage, type BlobStorage } from './blob-storage';
import { startEcrControlPlane, type EcrControlPlane } from './ecr-control-plane';
import { parseBasic } from './http-util';
import { startRegistryFront, type RegistryFront } from './registry-front';

export interface EcrCloud {
  region: string;
  registryId: string;
  /** The registry host (`registryUrl` of the backend). */
  registryUrl: string;
  /** The ECR API endpoint (`apiEndpoint` of the backend). */
  apiEndpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  controlPlane: EcrControlPlane;
  front: RegistryFront;
  storage: BlobStorage;
  distribution: Distribution;
  stop(): Promise<void>;
}

/**
 * One AWS account's private ECR in a region: the ECR API, a registry host accepting only
 * `Basic AWS:<authorization token>`, repositories that must exist before a push, and blobs
 * served from presigned "S3" URLs.
 */
export async function startEcrCloud(options: { tokenTtlMs?: number; pageSize?: number } = {}): Promise<EcrCloud> {
  const region = 'us-east-1';
  const registryId = '123456789012';
  const credentials = { accessKeyId: 'AKIAGANTRYTEST0001', secretAccessKey: 'ecr-test-secret-7f3a9c' };
  const distribution = await startDistribution({ kind: 'none' });
  const storage = await startBlobStorage(distribution.url);
  // The front checks tokens the control plane issues, and the control plane names the front's
  // URL as proxyEndpoint: the front starts first and looks the plane up when a request comes.
  const planeRef: { current?: EcrControlPlane } = {};
  const front = await startRegistryFront({
    upstreamUrl: distribution.url,
    storage,
    disableBlobMounting: true,
    authorize(req, _route, origin) {
      const challenge = { 'www-authenticate': `Basic realm="${origin}/",service="ecr.amazonaws.com"` };
      const basic = parseBasic(req.headers.authorization);
      const verdict = basic?.username === 'AWS' ? planeRef.current!.checkToken(basic.password) : 'invalid';
      if (verdict === 'valid') return undefined;
      // ECR refuses an expired token with `denied`, not with a new challenge (status unverified).
      if (verdict === 'expired') {
        return { status: 403, code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' };
      }
      return { status: 401, code: 'UNAUTHORIZED', message: 'Not Authorized', headers: challenge };
    },
    guard(route) {
      if (!route.repository || planeRef.current!.repositories.has(route.repository)) return undefined;
      return {
        status: 404,
        code: 'NAME_UNKNOWN',
        message: `The repository with name '${route.repository}' does not exist in the registry with id '${registryId}'`,
      };
    },
  });
  const plane = await startEcrControlPlane({
    region, registryId, proxyEndpoint: front.url, accessKeys: [credentials.accessKeyId],
    tokenTtlMs: options.tokenTtlMs, pageSize: options.pageSize,
  });
  planeRef.current = plane;
  return {
    region, registryId, credentials, controlPlane: plane, front, storage, distribution,
    registryUrl: front.url,
    apiEndpoint: plane.url,
    async stop() {
      await front.stop();
      await plane.stop();
      await storage.stop();
      await distribution.stop();
    },
  };
}
