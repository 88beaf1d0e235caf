import { ConfigError, loadConfig } from '#config';
import { configPathFrom } from './bootstrap/cli-args';
import { createGateway } from './bootstrap/create-gateway';
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
  const app = await createGateway(config, logger);
  const [host, port] = splitListen(config.server.listen);
  await app.listen(port, host);
  const url = config.server.publicUrl ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url, backends: Object.keys(config.backends) }, `Gantry listening on ${url}`);
  logger.info(`try: skopeo copy --dest-tls-verify=false docker-archive:image.tar docker://${new URL(url).host}/demo/app:1`);

  // In-flight transfers get the grace period; after that the process goes anyway.
  const stop = (): void => {
    setTimeout(() => process.exit(0), config.server.shutdownGraceSeconds * 1000).unref();
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
