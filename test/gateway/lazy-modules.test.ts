import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { usersConfig } from '../access/access-fixtures';
import { startGateway } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';
import { tempDir } from '../support/temp';

const TRACE = resolve(__dirname, '../support/module-trace.js');
const DATE_FORMAT_TRACE = resolve(__dirname, '../support/date-format-trace.js');

/** Packages a gateway needs only for `auth` (tokens, passwords, login limits) or for replication (queues). */
const AUTH_ONLY = ['jose', 'bcryptjs', 'rate-limiter-flexible'];
const REPLICATION_ONLY = ['bullmq'];

/**
 * Starts a gateway with `config` and a tracing `preload` that writes `traceFile` (its path in the
 * environment variable `fileVariable`) at exit; `serve` sends it requests; answers the trace.
 */
async function traced(config: Record<string, unknown>, preload: string, fileVariable: string, traceFile: string, serve: (url: string) => Promise<void>): Promise<string> {
  const gateway = await startGateway(config, { env: { NODE_OPTIONS: `--require ${preload}`, [fileVariable]: traceFile } });
  try {
    await serve(gateway.url);
  } finally {
    await gateway.stop();
  }
  return readFileSync(traceFile, 'utf8');
}

/** Starts a gateway with `config`, answers one request, stops it, and returns the packages and Gantry files it loaded. */
async function modulesLoadedBy(config: Record<string, unknown>, dir: string, name: string): Promise<{ packages: Set<string>; files: string[] }> {
  const trace = await traced(config, TRACE, 'MODULE_TRACE_FILE', join(dir, `${name}.modules`), async (url) => {
    assert.equal((await fetch(`${url}/v2/`)).status > 0, true);
  });
  const urls = trace.split('\n');
  const packages = new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  return { packages, files: urls.filter((u) => u.includes('/dist/libs/')) };
}

describe('a gateway loads only what its configuration uses', () => {
  const dir = tempDir('lazy-modules');
  const store = { backends: { store: { type: 'local', path: join(dir.path, 'store') } }, routes: [{ prefix: '', backend: 'store' }] };
  let redis: RedisProcess;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
    dir.remove();
  });

  test('without auth and replication: no token service, identities, rate limiter nor queues', async () => {
    const { packages, files } = await modulesLoadedBy(store, dir.path, 'plain');
    // The trace works: the gateway's own framework is in it.
    assert.ok(packages.has('fastify'), [...packages].join(' '));
    for (const name of [...AUTH_ONLY, ...REPLICATION_ONLY]) assert.ok(!packages.has(name), `${name} was loaded`);
    for (const heavy of ['token-service', 'signing-keys', 'oidc/', 'robots/robot-accounts', 'login-rate-limiter', 'replication-queues', 'copy/']) {
      assert.deepEqual(files.filter((f) => f.includes(heavy)), [], `${heavy} was loaded`);
    }
  });

  test('no date format is built while it starts and serves, so ICU data is never loaded (10 MiB of RSS)', async () => {
    const trace = await traced(store, DATE_FORMAT_TRACE, 'DATE_FORMAT_TRACE_FILE', join(dir.path, 'date-formats'), async (url) => {
      assert.equal((await fetch(`${url}/v2/`)).status, 200);
      assert.equal((await fetch(`${url}/v2/team/app/manifests/v1`)).status, 404);
    });
    assert.equal(trace, '', 'date formats were built');
  });

  test('with auth: the token service and identities are there', async () => {
    const auth = { users: usersConfig(), signingKey: { file: join(dir.path, 'keys', 'signing.pem') } };
    const { packages } = await modulesLoadedBy({ ...store, auth }, dir.path, 'auth');
    for (const name of AUTH_ONLY) assert.ok(packages.has(name), `${name} was not loaded`);
    for (const name of REPLICATION_ONLY) assert.ok(!packages.has(name), `${name} was loaded`);
  });

  test('with replication rules: the queues are there', async () => {
    const replication = {
      workers: 'inline',
      rules: [{ name: 'out', source: { backend: 'store', repositories: ['team/**'] }, destinations: [{ backend: 'copy' }], triggers: ['on-push'] }],
    };
    const backends = { ...store.backends, copy: { type: 'local', path: join(dir.path, 'copy') } };
    const { packages } = await modulesLoadedBy({ ...store, backends, redis: { url: redis.url }, replication }, dir.path, 'replication');
    for (const name of REPLICATION_ONLY) assert.ok(packages.has(name), `${name} was not loaded`);
    for (const name of AUTH_ONLY) assert.ok(!packages.has(name), `${name} was loaded`);
  });
});
