import { Readable } from 'node:stream';
import { isOciError } from '#oci';
import type { CredentialSource, UpstreamClient } from '../generic';

/**
 * ECR refuses an expired authorization token with 403 `denied: Your authorization token has
 * expired`, not with a 401 challenge, so generic's 401 recovery never sees it. A request that
 * can be replayed is sent once more with a freshly fetched token.
 */
export function isExpiredTokenDenial(err: unknown): boolean {
  return isOciError(err) && err.code === 'DENIED' && /authorization token has expired/i.test(err.message);
}

/**
 * Wraps `client.send` of one backend's client (there is no hook for a non-401 credential
 * rejection in generic). Streamed bodies cannot be replayed: the client retries those.
 */
export function refetchOnExpiredToken(client: UpstreamClient, credentials: CredentialSource): void {
  const send = client.send.bind(client);
  client.send = async (call) => {
    try {
      return await send(call);
    } catch (err) {
      if (!isExpiredTokenDenial(err) || call.body instanceof Readable) throw err;
      credentials.invalidate();
      return send(call);
    }
  };
}
