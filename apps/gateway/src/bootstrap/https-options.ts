import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, type GantryConfig } from '#config';

/**
 * The certificate and key of `server.tls`, checked to load and to belong together, so that a
 * wrong file is a configuration error at start-up rather than a failing TLS handshake later.
 * Paths are absolute by now (the loader resolved them against the config file).
 */
export function httpsOptions(config: GantryConfig): { cert: Buffer; key: Buffer } | undefined {
  const tls = config.server.tls;
  if (!tls) return undefined;
  const options = { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  server.tls: cannot use ${tls.certFile} with ${tls.keyFile}: ${(err as Error).message}`);
  }
  return options;
}
