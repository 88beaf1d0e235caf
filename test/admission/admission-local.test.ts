import { tempDir } from '../support/temp';
import { admissionSuite } from './admission-suite';

admissionSuite('local backend', async () => {
  const data = tempDir('admission-local');
  return { config: { type: 'local', path: data.path }, stop: async () => data.remove() };
});
