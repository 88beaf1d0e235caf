import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startEcrCloud, type EcrCloud } from '../support/clouds/ecr-cloud';
import { V2Client } from '../support/v2-client';

/** `blobs: redirect`: the client is sent to presigned storage and no blob byte passes Gantry. */
describe('blob redirect mode through the gateway', () => {
  let ecr: EcrCloud;
  let gateway: GatewayProcess;
  let client: V2Client;
  before(async () => {
    ecr = await startEcrCloud();
    const backend = { type: 'ecr', region: ecr.region, registryId: ecr.registryId, registryUrl: ecr.registryUrl, apiEndpoint: ecr.apiEndpoint, credentials: ecr.credentials };
    gateway = await startGateway({
      backends: { direct: { ...backend, blobs: 'redirect' }, streamed: { ...backend, blobs: 'proxy' } },
      routes: [
        { prefix: 'redirected/', backend: 'direct' },
        { prefix: 'streamed/', backend: 'streamed' },
      ],
    });
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    await ecr?.stop();
  });

  test('GET answers 307 to the storage host, which serves the bytes without any Authorization', async () => {
    const { layer } = await client.pushImage('redirected/team/app', 'v1');
    const res = await client.request('GET', `/v2/redirected/team/app/blobs/${layer.digest}`);
    assert.equal(res.status, 307);
    const location = res.headers.get('location')!;
    assert.equal(new URL(location).origin, ecr.storage.url);
    assert.equal(res.headers.get('docker-content-digest'), layer.digest);
    const fromStorage = await fetch(location);
    assert.equal(fromStorage.status, 200);
    assert.deepEqual(Buffer.from(await fromStorage.arrayBuffer()), layer.bytes);

    const head = await client.request('HEAD', `/v2/redirected/team/app/blobs/${layer.digest}`);
    assert.equal(head.status, 200, 'HEAD still answers with the size, not a redirect');
    assert.equal(head.headers.get('content-length'), String(layer.bytes.length));
  });

  test('the same upstream in proxy mode streams the bytes itself', async () => {
    const { layer } = await client.pushImage('streamed/team/app', 'v1');
    const res = await client.request('GET', `/v2/streamed/team/app/blobs/${layer.digest}`);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), layer.bytes);
    assert.equal(ecr.storage.authorizationSeen, false);
  });
});
