import { Inject, Injectable } from '@nestjs/common';
import type { CacheServices } from '#cache';
import type { Registry } from '#registry';
import { BACKENDS, CACHE_SERVICES } from '../bootstrap/tokens';

/** A readiness probe must answer before the orchestrator gives up on it (Kubernetes: 1 s by default, often raised). */
const CHECK_TIMEOUT_MS = 2_000;

export interface BackendReadiness {
  name: string;
  state: 'up' | 'down';
  error?: string;
}

export interface Readiness {
  /** `ready`: all is well; `degraded`: some backends are down (still 200); `unready`: 503. */
  status: 'ready' | 'degraded' | 'unready';
  config: 'loaded';
  redis?: { state: 'up' | 'down'; error?: string };
  backends: BackendReadiness[];
}

/**
 * Readiness of this replica: the config is loaded (it is, or the process would not serve),
 * Redis answers when configured, and at least one backend answers. One backend down degrades
 * the answer without taking the replica out of the load balancer: the others still serve.
 */
@Injectable()
export class ReadinessCheck {
  constructor(
    @Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>,
    @Inject(CACHE_SERVICES) private readonly cache: CacheServices,
  ) {}

  async check(): Promise<Readiness> {
    const [redis, backends] = await Promise.all([this.redis(), Promise.all([...this.backends].map(([name, registry]) => this.backend(name, registry)))]);
    const down = backends.filter((b) => b.state === 'down').length;
    const unready = redis?.state === 'down' || (backends.length > 0 && down === backends.length);
    return { status: unready ? 'unready' : down > 0 ? 'degraded' : 'ready', config: 'loaded', ...(redis ? { redis } : {}), backends };
  }

  private async redis(): Promise<Readiness['redis']> {
    const client = this.cache.redis;
    if (!client) return undefined;
    try {
      await withTimeout(client.ping(), 'Redis did not answer PING');
      return { state: 'up' };
    } catch (err) {
      return { state: 'down', error: (err as Error).message };
    }
  }

  private async backend(name: string, registry: Registry): Promise<BackendReadiness> {
    if (!registry.probe) return { name, state: 'up' };
    try {
      await withTimeout(registry.probe(), `backend ${name} did not answer`);
      return { name, state: 'up' };
    } catch (err) {
      // Messages come from our own error mapping: a host and a status, never a credential.
      return { name, state: 'down', error: (err as Error).message };
    }
  }
}

function withTimeout<T>(work: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  // A late failure after the timeout must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
