// First: the date formats the modules below build as they load stay unbuilt until used.
import { restoreDateFormats } from './bootstrap/nest-date-formats';
import { ConfigError } from '#config';
import type { Command } from './bootstrap/cli-args';
import { createGateway } from './bootstrap/create-gateway';
import { compactHeap, startGarbagePacer } from './bootstrap/garbage-pacer';
import { describeListenError } from './bootstrap/listen-error';
import { createLogger } from './bootstrap/logger';
import { failStartup, startupConfig } from './bootstrap/startup-config';

const GATEWAY_COMMAND: Command = {
  name: 'gantry',
  options: {},
  usage: `usage: gantry [--config path]
Serves the OCI Distribution API in front of the configured backends.

  --config path   the configuration file (default: $GANTRY_CONFIG; neither: embedded defaults,
                  hub/* via Docker Hub and every other name stored in ./data)
  -h, --help      print this help and exit
  --version       print the version and exit

GANTRY_<PATH> variables override keys: GANTRY_SERVER__LISTEN=127.0.0.1:6000,
GANTRY_SERVER__LOG_LEVEL=debug ("__" between keys, "_" before a capital letter).`,
};

/** Exit codes: 0 stopped cleanly, 1 failed to start or forced exit, 2 bad arguments or configuration. */
async function main(): Promise<void> {
  restoreDateFormats();
  const config = startupConfig(GATEWAY_COMMAND);
  if (!config) return;
  const logger = createLogger(config.server.logLevel);
  startGarbagePacer();
  let app;
  try {
    app = await createGateway(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) return fail(2, err.message);
    throw err;
  }
  const [host, port] = splitListen(config.server.listen);
  compactHeap();
  try {
    await app.listen(port, host);
  } catch (err) {
    const reason = describeListenError(err, config.server.listen);
    if (reason) return fail(1, reason);
    throw err;
  }
  const scheme = config.server.tls ? 'https' : 'http';
  const url = config.server.publicUrl ?? `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, backends: Object.keys(config.backends) }, `Gantry listening on ${url}`);
  if (!config.auth) {
    logger.warn({ listen: config.server.listen }, `no auth section: anyone who can reach ${config.server.listen} may push and delete`);
  }
  const tlsFlag = config.server.tls ? '' : '--tls-verify=false ';
  const address = new URL(url).host;
  // With auth on, a copy without a login would only get a 401: the hint starts with the login.
  const login = config.auth ? `skopeo login ${tlsFlag}${address}, then ` : '';
  logger.info(`try: ${login}skopeo copy ${tlsFlag.replace('--', '--dest-')}docker://docker.io/library/alpine:3 docker://${address}/demo/alpine:3`);

  // In-flight transfers get the grace period; connections that fall idle meanwhile are closed
  // (keep-alive would otherwise hold the server open), and after the grace period it goes anyway.
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const server = app.getHttpServer() as import('node:http').Server;
    setInterval(() => server.closeIdleConnections(), 200).unref();
    setTimeout(() => {
      logger.warn('shutdown grace period over; exiting with requests in flight');
      process.exit(1);
    }, config.server.shutdownGraceSeconds * 1000).unref();
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function fail(code: number, message: string): never {
  return failStartup(GATEWAY_COMMAND, code, message);
}

function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), Number(listen.slice(i + 1))];
}

void main().catch((err: unknown) => {
  process.stderr.write(`gantry: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
