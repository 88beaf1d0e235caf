import { startDistribution, type DistributionAuth } from '../support/distribution';
import { startGateway } from '../support/gateway-process';
import { protocolSuite } from './protocol-suite';

/** The generic backend in front of a real distribution 2.8, with each kind of upstream auth. */
function viaRegistry(auth: DistributionAuth, credentials?: { username: string; password: string }) {
  return async () => {
    const upstream = await startDistribution(auth);
    const gateway = await startGateway({
      backends: {
        corp: {
          type: 'registry',
          url: upstream.url,
          credentials,
          allowedRealmHosts: upstream.tokenServer ? [new URL(upstream.tokenServer.url).host] : undefined,
        },
      },
      routes: [{ prefix: 'corp/', backend: 'corp' }],
    });
    return {
      url: gateway.url,
      prefix: 'corp/',
      async stop() {
        await gateway.stop();
        await upstream.stop();
      },
    };
  };
}

protocolSuite('registry backend, anonymous upstream', viaRegistry({ kind: 'none' }));
protocolSuite('registry backend, htpasswd upstream', viaRegistry({ kind: 'htpasswd', users: { ci: 's3cret' } }, { username: 'ci', password: 's3cret' }));
protocolSuite('registry backend, token-auth upstream', viaRegistry({ kind: 'token', users: { ci: 't0ken-pw' } }, { username: 'ci', password: 't0ken-pw' }));
