import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { closeServer, listen, readBody, sendJson } from './http-util';
import type { TlsCertificate } from './tls-certificate';

export interface AadAuthorityOptions {
  certificate: TlsCertificate;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Called with each access token issued (the ACR stand-in's set of valid AAD tokens). */
  issued(token: string): void;
}

export interface AadAuthority {
  /** `authorityHost` for @azure/identity: `https://127.0.0.1:<port>`. */
  authorityHost: string;
  /** Method and path of every request, in order. */
  requests: string[];
  /** The forms posted to the token endpoint, client_secret removed. */
  tokenForms: Record<string, string>[];
  stop(): Promise<void>;
}

/**
 * Azure AD (Microsoft Entra ID) as MSAL speaks to it for a service principal with a client
 * secret: the tenant's OpenID configuration, and the v2.0 token endpoint's client_credentials
 * grant. TLS only, as @azure/identity refuses a plain-HTTP authority.
 */
export async function startAadAuthority(options: AadAuthorityOptions): Promise<AadAuthority> {
  const requests: string[] = [];
  const tokenForms: Record<string, string>[] = [];
  let origin = '';
  const tenantPath = `/${options.tenantId}`;

  const server: Server = createServer({ key: options.certificate.key, cert: options.certificate.cert }, (req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    requests.push(`${req.method} ${path}`);
    if (req.method === 'GET' && path === `${tenantPath}/v2.0/.well-known/openid-configuration`) {
      return sendJson(res, 200, {
        issuer: `${origin}${tenantPath}/v2.0`,
        authorization_endpoint: `${origin}${tenantPath}/oauth2/v2.0/authorize`,
        token_endpoint: `${origin}${tenantPath}/oauth2/v2.0/token`,
        jwks_uri: `${origin}${tenantPath}/discovery/v2.0/keys`,
        end_session_endpoint: `${origin}${tenantPath}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
    }
    if (req.method === 'POST' && path === `${tenantPath}/oauth2/v2.0/token`) {
      void readBody(req).then((text) => {
        const form = new URLSearchParams(text);
        tokenForms.push(Object.fromEntries([...form].filter(([key]) => key !== 'client_secret')));
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== options.clientId) {
          return sendJson(res, 400, { error: 'unauthorized_client', error_description: 'AADSTS700016: Application not found in the directory.' });
        }
        if (form.get('client_secret') !== options.clientSecret) {
          return sendJson(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        }
        const token = `aad-${randomBytes(16).toString('hex')}`;
        options.issued(token);
        sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
      });
      return;
    }
    sendJson(res, 404, { error: 'not_found', error_description: `${req.method} ${path} is not part of this stand-in` });
  });
  const port = await listen(server);
  origin = `https://127.0.0.1:${port}`;
  return { authorityHost: origin, requests, tokenForms, stop: () => closeServer(server) };
}
