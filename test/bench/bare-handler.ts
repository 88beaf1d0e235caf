import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from '../support/temp';
import { freePort } from '../support/temp';

export interface BareHandler {
  url: string;
  stop(): Promise<void>;
}

/**
 * The ceiling of the cached-manifest rows: a bare Fastify handler in its own process that answers
 * every GET with the same manifest bytes from memory (no routing, no cache lookup, no checks).
 */
export async function startBareHandler(bytes: Buffer, mediaType: string, digest: string): Promise<BareHandler> {
  const port = await freePort();
  const script = `
    const app = require('fastify')({ logger: false });
    const bytes = Buffer.from(process.env.BYTES, 'base64');
    const headers = { 'content-type': process.env.MEDIA_TYPE, 'docker-content-digest': process.env.DIGEST,
      'docker-distribution-api-version': 'registry/2.0', 'content-length': bytes.length };
    app.get('/*', (req, reply) => { reply.headers(headers).send(bytes); });
    app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: process.cwd(),
    env: { ...process.env, BYTES: bytes.toString('base64'), MEDIA_TYPE: mediaType, DIGEST: digest, PORT: String(port) },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('bare Fastify handler', async () => (await fetch(`${url}/v2/`)).status === 200);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
