import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './tools';

export interface TestCa {
  /** The CA certificate (PEM) a client must trust. */
  caCertPath: string;
  /** A server certificate signed by the CA for `127.0.0.1` and `localhost`. */
  issueServerCertificate(name: string): { certPath: string; keyPath: string };
}

/** A certificate authority made with openssl in `dir`, as an operator's private CA would be. */
export function createTestCa(dir: string): TestCa {
  requireTool('openssl');
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const caKeyPath = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.crt');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKeyPath, '-out', caCertPath, '-days', '2',
    '-subj', '/CN=gantry-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return {
    caCertPath,
    issueServerCertificate(name) {
      const keyPath = join(dir, `${name}.key`);
      const csrPath = join(dir, `${name}.csr`);
      const certPath = join(dir, `${name}.crt`);
      const extPath = join(dir, `${name}.ext`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', csrPath, '-subj', '/CN=127.0.0.1']);
      writeFileSync(extPath, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
      openssl(['x509', '-req', '-in', csrPath, '-CA', caCertPath, '-CAkey', caKeyPath, '-CAcreateserial', '-out', certPath, '-days', '2', '-extfile', extPath]);
      return { certPath, keyPath };
    },
  };
}
