import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { buildMultiArchImage, type BuiltImage } from '../support/oci-image';
import { skopeo } from '../support/skopeo';
import { tempDir } from '../support/temp';
import { startAcrCloud, type AcrCloud } from '../support/clouds/acr-cloud';
import { startEcrCloud, type EcrCloud } from '../support/clouds/ecr-cloud';
import { startGarCloud, type GarCloud } from '../support/clouds/gar-cloud';

/**
 * The real client through the built gateway: one multi-arch image pushed to ECR, then copied
 * to Artifact Registry and ACR, every hop through the gateway's cloud backends.
 */
describe('skopeo across three clouds through the gateway', () => {
  let ecr: EcrCloud;
  let gar: GarCloud;
  let acr: AcrCloud;
  let gateway: GatewayProcess;
  let image: BuiltImage;
  const dir = tempDir('cross-cloud');

  before(async () => {
    [ecr, gar, acr] = await Promise.all([startEcrCloud(), startGarCloud(), startAcrCloud()]);
    image = buildMultiArchImage(dir.path, { layersPerPlatform: 2 });
    gateway = await startGateway({
      backends: {
        'ecr-prod': {
          type: 'ecr', region: ecr.region, registryId: ecr.registryId,
          registryUrl: ecr.registryUrl, apiEndpoint: ecr.apiEndpoint, credentials: ecr.credentials,
        },
        'gar-eu': {
          type: 'gar', location: gar.location, project: gar.project,
          registryUrl: gar.registryUrl, apiEndpoint: gar.apiEndpoint, credentialsFile: gar.credentialsFile,
        },
        'acr-west': { type: 'acr', registry: acr.service, registryUrl: acr.registryUrl, credentials: acr.admin },
      },
      routes: [
        { prefix: 'aws/', backend: 'ecr-prod' },
        { prefix: 'gcp/', backend: 'gar-eu', upstreamPrefix: 'images/' },
        { prefix: 'azure/', backend: 'acr-west' },
      ],
    });
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([ecr?.stop(), gar?.stop(), acr?.stop()]);
    dir.remove();
  });

  it('copies aws/ -> gcp/ and azure/ with identical digests, storage never seeing credentials', async () => {
    const at = (repo: string): string => `docker://${gateway.host}/${repo}:v1`;
    await skopeo(['copy', '--all', '--preserve-digests', `oci:${image.layoutDir}:v1`, at('aws/team/app')]);
    assert.ok(ecr.controlPlane.repositories.has('team/app'), 'the ECR repository was created on push');
    await skopeo(['copy', '--all', '--preserve-digests', at('aws/team/app'), at('gcp/team/app')]);
    await skopeo(['copy', '--all', '--preserve-digests', at('aws/team/app'), at('azure/team/app')]);

    for (const repo of ['aws/team/app', 'gcp/team/app', 'azure/team/app']) {
      const raw = await skopeo(['inspect', '--raw', at(repo)]);
      assert.equal(raw.stdout, image.index.bytes.toString(), `${repo}: index bytes are exact`);
      const inspect = JSON.parse((await skopeo(['inspect', '--override-arch', 'arm64', at(repo)])).stdout) as { Layers: string[] };
      const arm64 = JSON.parse(image.manifests[1]!.bytes.toString()) as { layers: { digest: string }[] };
      assert.deepEqual(inspect.Layers, arm64.layers.map((l) => l.digest), `${repo}: same layers`);
    }
    const catalog = async (url: string): Promise<string[]> =>
      ((await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
    assert.ok((await catalog(gar.distribution.url)).includes('gantry-test/images/team/app'));
    assert.ok((await catalog(acr.distribution.url)).includes('team/app'));
    for (const storage of [ecr.storage, gar.storage, acr.storage]) {
      assert.ok(storage.requests.length > 0, 'blobs were read from presigned storage');
      assert.equal(storage.authorizationSeen, false);
    }
    const admin = await fetch(`${gateway.url}/admin/v1/backends`);
    assert.equal(admin.status, 200);
    const adminText = await admin.text();
    const { backends } = JSON.parse(adminText) as { backends: { name: string; credentials?: { state: string; validUntil?: string } }[] };
    assert.deepEqual(backends.map((b) => b.name).sort(), ['acr-west', 'ecr-prod', 'gar-eu']);
    const ecrStatus = backends.find((b) => b.name === 'ecr-prod')!;
    assert.equal(ecrStatus.credentials?.state, 'valid');
    assert.ok(ecrStatus.credentials?.validUntil && Date.parse(ecrStatus.credentials.validUntil) > Date.now());
    const logs = gateway.logs.join('');
    for (const secret of [ecr.credentials.secretAccessKey, acr.admin.password, ...ecr.controlPlane.issuedPasswords(), ...gar.controlPlane.issuedAccessTokens()]) {
      assert.equal(adminText.includes(secret), false, 'a credential appeared in the admin status');
    }
    for (const secret of [ecr.credentials.secretAccessKey, acr.admin.password, gar.subjectToken, ...ecr.controlPlane.issuedPasswords(), ...gar.controlPlane.issuedAccessTokens()]) {
      assert.equal(logs.includes(secret), false, 'a credential appeared in the gateway logs');
    }
  });
});
