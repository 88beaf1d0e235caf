import { startDistribution } from '../support/distribution';
import { admissionSuite } from './admission-suite';

admissionSuite('registry backend (distribution 2.8)', async () => {
  const upstream = await startDistribution({ kind: 'none' });
  return { config: { type: 'registry', url: upstream.url }, stop: () => upstream.stop() };
});
