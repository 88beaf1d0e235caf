import { type Subject, ANONYMOUS, TokenRejected, type VerifiedToken } from '#access';
import type { FastifyRequest } from 'fastify';
import type { AccessControl } from './access-control';
import { credentialsOf } from './credentials';

/** Who a request comes from, once its credentials are checked. */
export type RequestIdentity =
  | { ok: true; subject: Subject; via: 'anonymous' | 'basic' | 'bearer'; token?: VerifiedToken }
  /** `invalid_token`: a bearer Gantry did not sign or no longer accepts; `bad_credentials`: wrong Basic credentials or an unusable header. */
  | { ok: false; failure: 'invalid_token' | 'bad_credentials'; reason: string; username?: string };

/**
 * Checks a request's Authorization header: a Gantry bearer token (verified, cached until it
 * expires) or Basic credentials (through the authenticator, remembered a while); none is
 * anonymous. A subject must also still be valid (a robot not revoked).
 */
export async function identify(access: AccessControl, req: FastifyRequest): Promise<RequestIdentity> {
  const credentials = credentialsOf(req.headers.authorization);
  switch (credentials.kind) {
    case 'none':
      return { ok: true, subject: ANONYMOUS, via: 'anonymous' };
    case 'malformed':
      return { ok: false, failure: 'bad_credentials', reason: 'unusable Authorization header' };
    case 'bearer': {
      let token: VerifiedToken;
      try {
        token = await access.tokens.verifyAccessToken(credentials.token);
      } catch (err) {
        if (err instanceof TokenRejected) return { ok: false, failure: 'invalid_token', reason: `token rejected: ${err.message}` };
        throw err;
      }
      if (!(await access.authenticator.stillValid(token.subject))) {
        return { ok: false, failure: 'invalid_token', reason: 'the token\'s subject is no longer valid' };
      }
      return { ok: true, subject: token.subject, via: 'bearer', token };
    }
    case 'basic': {
      const context = { sourceAddress: req.ip, reqId: req.id };
      const subject = await access.authenticator.loginRemembered(credentials.username, credentials.password, context);
      if (!subject || !(await access.authenticator.stillValid(subject))) {
        return { ok: false, failure: 'bad_credentials', reason: 'bad credentials', username: credentials.username };
      }
      return { ok: true, subject, via: 'basic' };
    }
  }
}
