/**
 * The `exp` of a JWT as epoch ms, read without verifying (we are the audience's client, not its
 * verifier: the registry checks the signature). Undefined when the token is not a JWT with `exp`.
 */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
