import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ConfigError, type PolicyConfig } from '#config';

/** A public key signatures must verify with, named as explain answers and denials name it. */
export interface SignatureKey {
  name: string;
  key: KeyObject;
}

type KeyEntry = NonNullable<PolicyConfig['requireSignature']>['keys'][number];

/**
 * Reads a policy's keys at start: PEM public keys (SPKI, what `cosign generate-key-pair` writes as
 * cosign.pub) or X.509 certificates (notation), of whose public key only the key is kept. A path
 * alone is named by its file name without extension (`./keys/release.pub` → `release`). Any
 * problem is a ConfigError naming `policies[i].requireSignature.keys[j]`.
 */
export function loadSignatureKeys(entries: readonly KeyEntry[], policyIndex: number): SignatureKey[] {
  const keys: SignatureKey[] = [];
  entries.forEach((entry, j) => {
    const where = `policies[${policyIndex}].requireSignature.keys[${j}]`;
    const file = typeof entry === 'string' ? entry : entry.file;
    const name = typeof entry === 'string' ? basename(file, extname(file)) : entry.name;
    if (keys.some((k) => k.name === name)) throw new ConfigError(`${where}: duplicate key name "${name}"`);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${where}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    keys.push({ name, key: publicKeyFromPem(pem, `${where} (${file})`) });
  });
  return keys;
}

function publicKeyFromPem(pem: string, where: string): KeyObject {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError(`${where}: holds a private key; give the public key (cosign.pub) or a certificate`);
  }
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(pem).publicKey;
    if (pem.includes('-----BEGIN PUBLIC KEY-----')) return createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new ConfigError(`${where}: not a valid PEM public key or certificate: ${(err as Error).message}`);
  }
  throw new ConfigError(`${where}: not a PEM public key (BEGIN PUBLIC KEY) or certificate (BEGIN CERTIFICATE)`);
}
