import { AuditLog } from '#access';
import { createCacheServices } from '#cache';
import { ConfigError } from '#config';
import type { Registry } from '#registry';
import type { Server } from 'node:http';
import { Registry as MetricsRegistry } from 'prom-client';
import { defaultImageCopier, Replication, replicationAuditEvent, ReplicationMetrics } from '#replication/runtime';
import type { Command } from '../../gateway/src/bootstrap/cli-args';
import { createBackends } from '../../gateway/src/bootstrap/create-backends';
import { describeListenError } from '../../gateway/src/bootstrap/listen-error';
import { createLogger } from '../../gateway/src/bootstrap/logger';
import { failStartup, startupConfig } from '../../gateway/src/bootstrap/startup-config';
import { collectProcessMetrics } from '../../gateway/src/metrics/process-metrics';
import { WorkerHealth } from './worker-health';
import { startWorkerListener } from './worker-listener';

const WORKER_COMMAND: Command = {
  name: 'gantry worker',
  options: {},
  usage: `usage: gantry worker [--config path]
Runs the replication workers (BullMQ on the configured redis): copies images as the
replication rules say, and the rules' cron and reconcile schedulers. Run as many as you like.

  --config path   the configuration file (default: $GANTRY_CONFIG); it needs redis and
                  replication.rules
  -h, --help      print this help and exit
  --version       print the version and exit

SIGTERM: running copies get server.shutdownGraceSeconds to finish, then go back to the queue.`,
};

/** Exit codes: 0 stopped cleanly, 1 failed to start, 2 bad arguments or configuration. */
async function main(): Promise<void> {
  const config = startupConfig(WORKER_COMMAND);
  if (!config) return;
  if (!config.replication || config.replication.rules.length === 0) {
    return fail(2, 'replication.rules: no replication rules configured; a worker has nothing to do');
  }
  const logger = createLogger(config.server.logLevel).child({ process: 'worker' });
  const cache = createCacheServices(config, logger);
  let backends: Map<string, Registry>;
  try {
    backends = await createBackends(config, logger, cache);
  } catch (err) {
    if (err instanceof ConfigError) return fail(2, err.message);
    throw err;
  }
  const replication = Replication.fromConfig(config, backends, logger)!;
  const audit = new AuditLog(config.auth?.audit.destination ?? 'stdout');
  // Its own small registry: process metrics and the copies that ran here (the gateway counts the queues).
  const registry = new MetricsRegistry();
  collectProcessMetrics(registry);
  const metrics = new ReplicationMetrics(registry);
  const health = new WorkerHealth({
    workersRunning: () => replication.workersRunning(),
    ping: () => replication.queues.connection.ping(),
    windowMs: config.replication.workerHealthWindow,
  });
  const listen = config.replication.workerListen;
  let listener: Server;
  try {
    // Before the workers start: a port already taken stops the process before it takes any job.
    listener = await startWorkerListener(listen, registry, health);
  } catch (err) {
    await replication.close(0);
    await Promise.allSettled([...backends.values()].map((b) => b.close()));
    await cache.close();
    return fail(1, describeListenError(err, listen) ?? `cannot listen on ${listen}: ${(err as Error).message}`);
  }
  await replication.startWorkers(defaultImageCopier(), (outcome) => {
    metrics.copyEnded(outcome);
    audit.record(replicationAuditEvent(outcome));
  });
  health.start();
  logger.info({ pid: process.pid, listen }, `Gantry worker running; /metrics and /healthz on ${listen}`);

  const stop = (signal: string): void => {
    logger.info({ signal }, 'worker shutting down: finishing running copies');
    const graceMs = config.server.shutdownGraceSeconds * 1000;
    // Past the grace period and the hand-back, nothing may hold the process.
    setTimeout(() => process.exit(1), graceMs + 10_000).unref();
    void (async () => {
      health.stop();
      listener.close();
      await replication.close(graceMs);
      await Promise.allSettled([...backends.values()].map((b) => b.close()));
      await cache.close();
      audit.flush();
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function fail(code: number, message: string): never {
  return failStartup(WORKER_COMMAND, code, message);
}

void main().catch((err: unknown) => {
  process.stderr.write(`gantry worker: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
