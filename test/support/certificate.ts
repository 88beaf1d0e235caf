import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './tools';

export interface SigningCertificate {
  certPath: string;
  keyPem: string;
  /** base64 DER, as a JWT `x5c` header carries it. */
  certDerBase64: string;
}

/** A self-signed RSA certificate for a test token issuer that distribution trusts. */
export function createSigningCertificate(dir: string): SigningCertificate {
  requireTool('openssl');
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', '2', '-subj', '/CN=gantry-test-token-issuer'], { stdio: 'ignore' });
  const pem = readFileSync(certPath, 'utf8');
  const certDerBase64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return { certPath, keyPem: readFileSync(keyPath, 'utf8'), certDerBase64 };
}
