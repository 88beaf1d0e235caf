import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/** A verification key with its id (the JWK thumbprint of its public part). */
export interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
  jwk: JWK;
}

export interface SigningKeys {
  /** Signs new tokens. */
  current: VerificationKey & { privateKey: KeyObject };
  /** Every key a token may be verified with: the current one and the previous ones, by kid. */
  verifiers: ReadonlyMap<string, VerificationKey>;
  /** The JWK set `/.well-known/jwks.json` publishes. */
  jwks: { keys: JWK[] };
}

/**
 * Loads the ES256 signing key from `file` (PKCS#8 PEM), generating it on first start (mode
 * 0600). `previous` are the keys it replaced (private or public PEM): they only verify, so that
 * tokens they signed stay good until they expire. Replicas starting together agree on one key:
 * the file is created by a hard link, which only one of them can win.
 */
export async function loadSigningKeys(file: string, previous: readonly string[]): Promise<SigningKeys> {
  const privateKey = readOrCreatePrivateKey(file);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${file}: the token signing key must be an EC P-256 key (ES256)`);
  }
  const current = { ...(await verificationKey(createPublicKey(privateKey))), privateKey };
  const verifiers = new Map<string, VerificationKey>([[current.kid, current]]);
  for (const path of previous) {
    const key = await verificationKey(createPublicKey(readFileSync(path)));
    verifiers.set(key.kid, key);
  }
  return { current, verifiers, jwks: { keys: [...verifiers.values()].map((k) => k.jwk) } };
}

async function verificationKey(publicKey: KeyObject): Promise<VerificationKey> {
  const base = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(base, 'sha256');
  return { kid, publicKey, jwk: { ...base, kid, alg: 'ES256', use: 'sig' } };
}

function readOrCreatePrivateKey(file: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const staging = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(staging, pem, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(staging, file);
  } catch (err) {
    // Another replica won: its key is the one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(staging);
  }
  return createPrivateKey(readFileSync(file));
}
