import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAadAuthority, type AadAuthority } from '../support/clouds/aad-authority';
import { startAcrCloud, type AcrCloud } from '../support/clouds/acr-cloud';
import { createTlsCertificate } from '../support/clouds/tls-certificate';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { assertOciError, jsonOf, V2Client } from '../support/v2-client';

const SP = { tenantId: 'f00dcafe-0000-4000-8000-000000000001', clientId: 'gantry-sp', clientSecret: 'sp-client-secret-5e1f' };
const WRONG_SECRET = 'not-the-sp-secret-77aa';

/**
 * An `acr` backend configured with a service principal (`tenantId`, `clientId`,
 * `clientSecretFile`) and an `authorityHost`: the real @azure/identity ClientSecretCredential runs
 * inside the gateway process against an Azure AD stand-in over TLS (the test CA is trusted
 * through NODE_EXTRA_CA_CERTS), for the data plane's `/oauth2/exchange` and for the control
 * plane's catalog through @azure/container-registry.
 */
describe('acr backend with a service principal, through the real @azure/identity', () => {
  const dir = tempDir('acr-sp');
  const aadCertificate = createTlsCertificate();
  let cloud: AcrCloud;
  let aad: AadAuthority;
  let gateway: GatewayProcess;
  let client: V2Client;

  before(async () => {
    cloud = await startAcrCloud();
    aad = await startAadAuthority({ certificate: aadCertificate, ...SP, issued: (token) => cloud.aadTokens.add(token) });
    const caBundle = join(dir.path, 'ca.pem');
    writeFileSync(caBundle, aadCertificate.cert + cloud.caCert);
    const secretFile = (name: string, secret: string): string => {
      const file = join(dir.path, name);
      writeFileSync(file, `${secret}\n`);
      return file;
    };
    const acr = (secret: string) => ({
      type: 'acr', registry: cloud.service, registryUrl: cloud.registryUrl, apiEndpoint: cloud.apiEndpoint,
      credentials: { tenantId: SP.tenantId, clientId: SP.clientId, clientSecretFile: secretFile(`${secret}.secret`, secret) },
      authorityHost: aad.authorityHost,
      // Instance discovery would ask login.microsoftonline.com about an authority it cannot know.
      disableInstanceDiscovery: true,
    });
    gateway = await startGateway(
      {
        server: { logLevel: 'debug' },
        backends: { azure: acr(SP.clientSecret), 'azure-bad': acr(WRONG_SECRET) },
        routes: [
          { prefix: 'azure/', backend: 'azure' },
          { prefix: 'azure-bad/', backend: 'azure-bad' },
        ],
      },
      { env: { NODE_EXTRA_CA_CERTS: caBundle } },
    );
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await aad?.stop();
    await cloud?.stop();
    aadCertificate.remove();
    dir.remove();
  });

  test('push and pull: AAD client-credentials token, exchanged for an ACR refresh token with the tenant', async () => {
    const pushed = await client.pushImage('azure/team/app', 'v1');
    const res = await client.request('GET', '/v2/azure/team/app/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), pushed.manifest.bytes);

    const form = aad.tokenForms.find((f) => f.client_id === SP.clientId);
    assert.ok(form, `no client-credentials request: ${JSON.stringify(aad.requests)}`);
    assert.equal(form.grant_type, 'client_credentials');
    assert.match(form.scope ?? '', /https:\/\/containerregistry\.azure\.net\/\.default/);
    assert.ok(aad.requests.includes(`GET /${SP.tenantId}/v2.0/.well-known/openid-configuration`), JSON.stringify(aad.requests));
    assert.ok(cloud.tokens.exchanges.some((e) => e.tenant === SP.tenantId && e.service === cloud.service), JSON.stringify(cloud.tokens.exchanges));
  });

  test('the catalog goes through @azure/container-registry with the same identity, over TLS', async () => {
    await client.pushImage('azure/base/os', 'v1');
    const res = await client.request('GET', '/v2/_catalog');
    assert.equal(res.status, 200);
    const { repositories } = await jsonOf<{ repositories: string[] }>(res);
    assert.ok(repositories.includes('azure/base/os'), JSON.stringify(repositories));
    assert.ok(cloud.front.requests.some((r) => r.path.startsWith('/acr/v1/_catalog')), 'the control plane answered the catalog');
    assert.equal(repositories.some((name) => name.startsWith('azure-bad/')), false, 'the refused identity lists nothing');
  });

  test('a wrong client secret is 401 UNAUTHORIZED naming the backend and AAD\'s reason, without the secret', async () => {
    const res = await client.request('GET', '/v2/azure-bad/team/app/manifests/v1');
    const text = await res.clone().text();
    await assertOciError(res, 401, 'UNAUTHORIZED');
    assert.match(text, /azure-bad/);
    assert.match(text, /AADSTS7000215/);
    assert.equal(text.includes(WRONG_SECRET), false);
  });

  test('no secret or token reaches the logs, at debug level', async () => {
    const logs = gateway.logs.join('');
    assert.ok(logs.length > 0);
    for (const secret of [SP.clientSecret, WRONG_SECRET, ...cloud.aadTokens, ...cloud.tokens.issued]) {
      assert.equal(logs.includes(secret), false, 'a secret appeared in the gateway logs');
    }
  });
});
