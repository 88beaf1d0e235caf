import { startEcrCloud } from '../support/clouds/ecr-cloud';
import { admissionSuite } from './admission-suite';

/** `blobs: redirect`: signature payloads and configs are read from presigned storage, as clients read layers. */
admissionSuite('ecr backend (ECR stand-in, blobs redirected to storage)', async () => {
  const ecr = await startEcrCloud();
  return {
    config: {
      type: 'ecr', region: ecr.region, registryId: ecr.registryId, blobs: 'redirect',
      registryUrl: ecr.registryUrl, apiEndpoint: ecr.apiEndpoint, credentials: ecr.credentials,
    },
    stop: () => ecr.stop(),
  };
});
