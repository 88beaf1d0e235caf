import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { WorkerHealth } from './worker-health';

/**
 * The worker process's own small HTTP listener (`replication.workerListen`): `GET /metrics` for
 * Prometheus and `GET /healthz` for liveness probes (200 healthy, 503 not, with the reason as JSON).
 * Nothing else: no admin, no credentials, so plain node:http is enough.
 */
export async function startWorkerListener(address: string, registry: Registry, health: WorkerHealth): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const status = health.status();
      res.writeHead(status.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the worker serves /metrics and /healthz\n');
  });
  const { host, port } = splitListenAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** `host:port` or `[v6]:port` (validated by the config schema). */
function splitListenAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}
