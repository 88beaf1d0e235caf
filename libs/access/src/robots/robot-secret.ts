import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Makes a leaked secret recognisable to secret scanners and to people: `gantry_…`. */
export const ROBOT_SECRET_PREFIX = 'gantry_';

/** 32 random bytes (256 bits), base64url: `gantry_` + 43 characters. */
export function newRobotSecret(): string {
  return ROBOT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * SHA-256, not bcrypt: bcrypt's deliberate slowness protects low-entropy human passwords against
 * guessing from a stolen hash. A 256-bit random secret cannot be guessed however fast the hash
 * is, so a fast hash loses nothing, and keeps robot logins (CI pulls, many a minute) cheap.
 */
export function hashRobotSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function robotSecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashRobotSecret(secret));
  const stored = Buffer.from(storedHash);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
