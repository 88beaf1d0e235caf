import type { Logger } from 'pino';
import { OciError } from '#oci';

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * Which hosts a Bearer token realm may point at. An upstream (or anyone who can tamper with its
 * responses) could otherwise make Gantry send its credentials to an arbitrary host, or use Gantry
 * to reach internal services (SSRF). The registry's own host is always allowed.
 */
export class RealmPolicy {
  private readonly allowed: Set<string>;

  constructor(
    private readonly backend: string,
    private readonly registryUrl: URL,
    allowedHosts: readonly string[],
    private readonly logger: Logger,
  ) {
    this.allowed = new Set([registryUrl.host.toLowerCase(), ...allowedHosts.map((h) => h.trim().toLowerCase())]);
  }

  /** The realm as a URL, or an OciError (nothing is sent anywhere) when it is not allowed. */
  check(realm: string): URL {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw this.refuse(`token realm of backend ${this.backend} is not a valid URL`, { realm: realm.slice(0, 200) });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw this.refuse(`token realm scheme ${url.protocol} not allowed for backend ${this.backend}`, { realm: url.origin });
    }
    // Credentials must not go in clear text when the registry itself is spoken to over TLS.
    if (this.registryUrl.protocol === 'https:' && url.protocol === 'http:') {
      throw this.refuse(`plain-HTTP token realm not allowed for HTTPS backend ${this.backend}`, { realmHost: url.host });
    }
    const host = url.host.toLowerCase();
    const withPort = `${url.hostname.toLowerCase()}:${url.port || DEFAULT_PORTS[url.protocol]}`;
    if (!this.allowed.has(host) && !this.allowed.has(withPort)) {
      throw this.refuse(`token realm host ${host} not allowed for backend ${this.backend}`, { realmHost: host });
    }
    return url;
  }

  private refuse(message: string, context: Record<string, string>): OciError {
    this.logger.warn({ ...context, allowedRealmHosts: [...this.allowed] }, message);
    return new OciError('DENIED', message);
  }
}
