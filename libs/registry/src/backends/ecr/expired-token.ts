import type { OciError } from '#oci';

/**
 * ECR refuses an expired authorization token with 403 `denied: Your authorization token has
 * expired. Reauthenticate and try again.`, not with a 401 challenge. Generic treats an error
 * this recognises like a 401: credentials are refetched and a replayable request is sent again.
 */
export function isExpiredTokenDenial(err: OciError): boolean {
  return err.code === 'DENIED' && /authorization token has expired/i.test(err.message);
}
