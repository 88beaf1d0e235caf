import { startEcrCloud } from '../support/clouds/ecr-cloud';
import { admissionSuite } from './admission-suite';

admissionSuite('ecr backend (ECR stand-in)', async () => {
  const ecr = await startEcrCloud();
  return {
    config: {
      type: 'ecr', region: ecr.region, registryId: ecr.registryId,
      registryUrl: ecr.registryUrl, apiEndpoint: ecr.apiEndpoint, credentials: ecr.credentials,
    },
    stop: () => ecr.stop(),
  };
});
