import type { FastifyRequest } from 'fastify';
import { type AccessEntry, formatScope } from '#access';
import { OciError } from '#oci';
import type { AccessControl } from './access-control';

/** A Host header that is a plain host[:port]: anything else is not put into a challenge. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Where clients fetch tokens. `server.publicUrl` when set; else from the request's own Host
 * header and scheme. A Host header is the client's to choose, so the realm only ever sends a
 * client to the address it already used; behind a proxy or a shared cache, set publicUrl.
 */
export function realmOf(access: AccessControl, req: FastifyRequest): string {
  if (access.publicUrl) return `${access.publicUrl}/token`;
  const host = req.headers.host;
  const scheme = req.protocol === 'https' ? 'https' : 'http';
  return `${scheme}://${host && SAFE_HOST.test(host) ? host : access.listenHost}/token`;
}

/** `Bearer realm="…",service="…",scope="repository:x:pull,push"[,error="…"]`. */
export function bearerChallenge(access: AccessControl, req: FastifyRequest, scope?: AccessEntry, error?: 'invalid_token' | 'insufficient_scope'): string {
  const parts = [`realm="${realmOf(access, req)}"`, `service="${access.auth.service}"`];
  if (scope) parts.push(`scope="${formatScope(scope)}"`);
  if (error) parts.push(`error="${error}"`);
  return `Bearer ${parts.join(',')}`;
}

/** 401 that sends the client to the token service for `scope`. */
export function unauthorized(access: AccessControl, req: FastifyRequest, message: string, scope?: AccessEntry, error?: 'invalid_token' | 'insufficient_scope'): OciError {
  return new OciError('UNAUTHORIZED', message, {
    headers: { 'www-authenticate': bearerChallenge(access, req, scope, error) },
    ...(scope ? { detail: [scope] } : {}),
  });
}
