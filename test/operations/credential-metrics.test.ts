import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEcrCloud, type EcrCloud } from '../support/clouds/ecr-cloud';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { Scrape } from '../support/prometheus-text';

/** Credential fetches of a cloud backend (the ECR stand-in, through the real AWS SDK), and the upstream calls they enable. */
describe('gantry_credential_refreshes_total', () => {
  let cloud: EcrCloud;
  let gateway: GatewayProcess;
  before(async () => {
    cloud = await startEcrCloud();
    const ecr = { type: 'ecr', region: cloud.region, registryId: cloud.registryId, registryUrl: cloud.registryUrl, apiEndpoint: cloud.apiEndpoint };
    gateway = await startGateway({
      backends: {
        aws: { ...ecr, credentials: cloud.credentials },
        // An IAM key ECR does not know: GetAuthorizationToken fails.
        'aws-bad': { ...ecr, credentials: { ...cloud.credentials, accessKeyId: 'AKIAGANTRYUNKNOWN01' }, retries: 0 },
      },
      routes: [
        { prefix: 'aws/', backend: 'aws' },
        { prefix: 'bad/', backend: 'aws-bad' },
      ],
    });
  });
  after(async () => {
    await gateway?.stop();
    await cloud?.stop();
  });

  test('a fetched token counts once per backend as success, a refused fetch as failure', async () => {
    const start = await Scrape.of(gateway.url);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gateway.url}/v2/aws/team/app/tags/list`);
      assert.equal(res.status, 404, 'the registry answered: no such repository');
      await res.arrayBuffer();
    }
    const bad = await fetch(`${gateway.url}/v2/bad/team/app/tags/list`);
    assert.ok(bad.status >= 400, `the bad key's request fails (${bad.status})`);
    await bad.arrayBuffer();
    const end = await Scrape.of(gateway.url);
    const refreshes = (backend: string, result: string) => end.delta(start, 'gantry_credential_refreshes_total', { backend, result });
    assert.equal(refreshes('aws', 'success'), 1, 'one token serves all three requests');
    assert.equal(refreshes('aws', 'failure'), 0);
    assert.equal(refreshes('aws-bad', 'success'), 0);
    assert.equal(refreshes('aws-bad', 'failure'), 1, 'one failed fetch for the one request');
    assert.equal(end.delta(start, 'gantry_upstream_requests_total', { backend: 'aws', operation: 'tags', status_class: '4xx' }), 3);
  });
});
