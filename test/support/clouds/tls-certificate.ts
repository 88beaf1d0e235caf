import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../temp';
import { requireTool } from '../tools';

export interface TlsCertificate {
  key: string;
  /** PEM; also the CA a client must trust (self-signed). */
  cert: string;
  certPath: string;
}

/** A self-signed server certificate for 127.0.0.1 (the Azure SDK insists on https). */
export function createTlsCertificate(): TlsCertificate & { remove(): void } {
  requireTool('openssl');
  const dir = tempDir('tls');
  const keyPath = join(dir.path, 'server.key');
  const certPath = join(dir.path, 'server.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath, remove: () => dir.remove() };
}
