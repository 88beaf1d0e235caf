import { startGateway } from '../support/gateway-process';
import { tempDir } from '../support/temp';
import { protocolSuite } from './protocol-suite';

protocolSuite('local backend', async () => {
  const data = tempDir('local-store');
  const gateway = await startGateway({
    backends: { store: { type: 'local', path: data.path } },
    routes: [{ prefix: '', backend: 'store' }],
  });
  return {
    url: gateway.url,
    prefix: 'team/',
    async stop() {
      await gateway.stop();
      data.remove();
    },
  };
});
