import { ConfigError, loadConfig } from '#config';
import { configPathFrom } from './bootstrap/cli-args';
import { createGateway } from './bootstrap/create-gateway';
import { startGarbagePacer } from './bootstrap/garbage-pacer';
import { createLogger } from './bootstrap/logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ file: configPathFrom(process.argv.slice(2), process.env) });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof Error) {
      process.stderr.write(`gantry: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.server.logLevel);
  startGarbagePacer();
  const app = await createGateway(config, logger);
  const [host, port] = splitListen(config.server.listen);
  await app.listen(port, host);
  const url = config.server.publicUrl ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url, backends: Object.keys(config.backends) }, `Gantry listening on ${url}`);
  logger.info(`try: skopeo copy --dest-tls-verify=false docker://docker.io/library/alpine:3 docker://${new URL(url).host}/demo/alpine:3`);

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

function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), Number(listen.slice(i + 1))];
}

void main().catch((err: unknown) => {
  process.stderr.write(`gantry: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
