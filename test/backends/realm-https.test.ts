import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { closeServer, listen, parseBasic, sendJson, sendOciError } from '../support/clouds/http-util';
import { createTlsCertificate, type TlsCertificate } from '../support/clouds/tls-certificate';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { assertOciError, V2Client } from '../support/v2-client';

const USER = { username: 'ci', password: 'realm-test-pw-3c9d' };
const TOKEN = 'realm-test-token-8e21';

/**
 * A registry over TLS whose challenge names `realm`. It issues a token at `/token` for the right
 * Basic credentials and lists tags for that token: just enough of the auth dance for one request.
 */
async function startTlsRegistry(certificate: TlsCertificate, realm: (origin: string) => string): Promise<{ url: string; server: HttpsServer; requests: string[] }> {
  const requests: string[] = [];
  let origin = '';
  const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    requests.push(req.url ?? '');
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/token') {
      const basic = parseBasic(req.headers.authorization);
      if (basic?.username !== USER.username || basic.password !== USER.password) return sendJson(res, 401, {});
      return sendJson(res, 200, { token: TOKEN, expires_in: 300 });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return sendOciError(res, 401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': `Bearer realm="${realm(origin)}",service="tls-registry"`,
      });
    }
    if (path === '/v2/team/app/tags/list') return sendJson(res, 200, { name: 'team/app', tags: ['v1'] });
    return sendOciError(res, 404, 'NAME_UNKNOWN', 'unknown');
  });
  const port = await listen(server);
  origin = `https://127.0.0.1:${port}`;
  return { url: origin, server, requests };
}

/**
 * An upstream spoken to over HTTPS must never make Gantry send its credentials in clear text: a
 * Bearer realm on plain `http://` is refused (DENIED), even on an allowed host. The realm's port
 * is a listening socket that counts connections, so "refused" means nothing reached it.
 */
describe('an HTTPS upstream with a plain-HTTP token realm', () => {
  const certificate = createTlsCertificate();
  let plainRealm: TcpServer;
  let plainRealmHost: string;
  let realmConnections = 0;
  let downgrading: Awaited<ReturnType<typeof startTlsRegistry>>;
  let secure: Awaited<ReturnType<typeof startTlsRegistry>>;
  let gateway: GatewayProcess;
  let client: V2Client;

  before(async () => {
    plainRealm = createTcpServer((socket) => {
      realmConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => plainRealm.listen(0, '127.0.0.1', resolve));
    plainRealmHost = `127.0.0.1:${(plainRealm.address() as AddressInfo).port}`;
    downgrading = await startTlsRegistry(certificate, () => `http://${plainRealmHost}/token`);
    secure = await startTlsRegistry(certificate, (origin) => `${origin}/token`);
    const backend = (url: string) => ({ type: 'registry', url, credentials: USER, allowedRealmHosts: [plainRealmHost], retries: 0 });
    gateway = await startGateway(
      {
        backends: { downgrading: backend(downgrading.url), secure: backend(secure.url) },
        routes: [
          { prefix: 'downgrading/', backend: 'downgrading' },
          { prefix: 'secure/', backend: 'secure' },
        ],
      },
      // The gateway trusts the test certificate the way an operator would add a private CA.
      { env: { NODE_EXTRA_CA_CERTS: certificate.certPath } },
    );
    client = new V2Client(gateway.url);
  });
  after(async () => {
    await gateway?.stop();
    for (const s of [downgrading, secure]) if (s) await closeServer(s.server);
    await new Promise<void>((resolve) => (plainRealm ? plainRealm.close(() => resolve()) : resolve()));
    certificate.remove();
  });

  test('the same setup with an HTTPS realm works (the gateway trusts the test CA)', async () => {
    const res = await client.request('GET', '/v2/secure/team/app/tags/list');
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { name: 'secure/team/app', tags: ['v1'] });
    assert.ok(secure.requests.some((r) => r.startsWith('/token')), 'the token came from the HTTPS realm');
  });

  test('the plain-HTTP realm is refused with DENIED naming the backend; nothing connects to it', async () => {
    const res = await client.request('GET', '/v2/downgrading/team/app/tags/list');
    const text = await res.clone().text();
    await assertOciError(res, 403, 'DENIED');
    assert.match(text, /plain-HTTP token realm not allowed for HTTPS backend downgrading/);
    assert.ok(downgrading.requests.includes('/v2/'), 'the challenge was fetched over TLS');
    assert.equal(realmConnections, 0, 'no connection reached the plain-HTTP realm');
    const logs = gateway.logs.join('');
    assert.equal(logs.includes(USER.password), false);
    assert.equal(logs.includes(Buffer.from(`${USER.username}:${USER.password}`).toString('base64')), false);
  });
});
