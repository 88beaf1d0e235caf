import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from './load-config';

const dir = mkdtempSync(join(tmpdir(), 'gantry-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('no file means Docker Hub under hub/ and the embedded local store for every other name', () => {
  const config = loadConfig({ env: {} });
  assert.deepEqual(config.backends.local, { type: 'local', path: './data', delete: true, uploadExpirySeconds: 86400 });
  assert.equal(config.backends.hub?.type, 'dockerhub');
  const routeDefaults = { cache: true, tagTtl: 60_000, listTtl: 30_000, staleIfError: 86_400_000, replicas: [] };
  assert.deepEqual(config.routes, [
    { prefix: 'hub/', backend: 'hub', upstreamPrefix: '', ...routeDefaults },
    { prefix: '', backend: 'local', upstreamPrefix: '', ...routeDefaults },
  ]);
  assert.equal(config.cache.memory, 64 * 1024 * 1024);
  assert.equal(config.redis, undefined);
  assert.equal(config.server.listen, '0.0.0.0:5000');
});

test('the example shape loads with defaults filled in', () => {
  const path = file('ok.yaml', `
server: { listen: 127.0.0.1:5050 }
backends:
  hub: { type: dockerhub }
  corp: { type: registry, url: http://127.0.0.1:5001, credentials: { username: u, passwordFile: ./secret } }
routes:
  - { prefix: hub/, backend: hub }
  - { prefix: "", backend: corp }
`);
  writeFileSync(join(dir, 'secret'), 'p4ss\n');
  const config = loadConfig({ file: path, env: {} });
  assert.equal(config.server.listen, '127.0.0.1:5050');
  const corp = config.backends.corp!;
  assert.ok(corp.type === 'registry');
  assert.deepEqual(corp.credentials, { username: 'u', password: 'p4ss' });
  assert.equal(corp.blobs, 'proxy');
  assert.equal(config.backends.hub!.type === 'dockerhub' && config.backends.hub!.url, 'https://registry-1.docker.io');
});

test('environment overrides use GANTRY_ and __ between path segments', () => {
  const config = loadConfig({ env: { GANTRY_SERVER__LISTEN: '127.0.0.1:6000', GANTRY_SERVER__LOG_LEVEL: 'warn', GANTRY_BACKENDS__LOCAL__DELETE: 'false' } });
  assert.equal(config.server.listen, '127.0.0.1:6000');
  assert.equal(config.server.logLevel, 'warn');
  assert.equal(config.backends.local!.type === 'local' && config.backends.local!.delete, false);
});

test('errors name the offending key', () => {
  const cases: [string, RegExp][] = [
    ['backends: { a: { type: registry, url: not-a-url } }\nroutes: [{ prefix: "", backend: a }]', /backends\.a\.url/],
    ['backends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: missing }]', /routes\[0\]\.backend: unknown backend "missing"/],
    ['backends: { a: { type: nope } }\nroutes: [{ prefix: "", backend: a }]', /backends\.a\.type/],
    ['backends: { a: { type: local, path: ./x, colour: red } }\nroutes: [{ prefix: "", backend: a }]', /backends\.a.*colour/],
    ['server: { listen: nowhere }\nbackends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: a }]', /server\.listen: must be host:port/],
    ['backends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "Hub", backend: a }]', /routes\[0\]\.prefix/],
    ['backends: { e: { type: ecr, region: us-east-1, registryId: "12" } }\nroutes: [{ prefix: "", backend: e }]', /backends\.e\.registryId/],
    ['backends: { a: { type: registry, url: "http://x", credentials: { username: u, passwordFile: ./missing } } }\nroutes: [{ prefix: "", backend: a }]', /backends\.a\.credentials\.passwordFile: cannot read secret file: ENOENT/],
    ['routes: [oops', /invalid YAML/],
    ['server: { metrics: sometimes }\nbackends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: a }]', /server\.metrics: server\.metrics must be true or false/],
  ];
  cases.forEach(([yaml, expected], i) => {
    const path = file(`bad-${i}.yaml`, yaml);
    assert.throws(() => loadConfig({ file: path, env: {} }), (err: unknown) => err instanceof ConfigError && expected.test(err.message), yaml);
  });
});

test('only secret keys are read from files; a GAR credentialsFile stays a path (made absolute)', () => {
  writeFileSync(join(dir, 'sp-secret'), 'sp-value\n');
  const path = file('secrets.yaml', `
backends:
  acr: { type: acr, registry: r, credentials: { tenantId: t, clientId: c, clientSecretFile: ./sp-secret } }
  gar: { type: gar, location: us, project: p, credentialsFile: ./key.json }
routes: [{ prefix: "", backend: acr }]
`);
  const config = loadConfig({ file: path, env: {} });
  const acr = config.backends.acr!;
  assert.ok(acr.type === 'acr' && acr.credentials && 'clientSecret' in acr.credentials);
  assert.equal(acr.credentials.clientSecret, 'sp-value');
  const gar = config.backends.gar!;
  assert.equal(gar.type === 'gar' && gar.credentialsFile, join(dir, 'key.json'), 'a path, relative to the config file');
});

test('cache durations and sizes take units; redis takes exactly one of url, sentinel, cluster', () => {
  const path = file('cache.yaml', `
redis: { url: redis://127.0.0.1:6379 }
cache: { memory: 16MiB }
backends: { hub: { type: dockerhub } }
routes:
  - { prefix: hub/, backend: hub, tagTtl: 5m, listTtl: 10, staleIfError: 24h, blobCache: { path: ./blobs, maxBytes: 50GB } }
`);
  const config = loadConfig({ file: path, env: {} });
  assert.equal(config.cache.memory, 16 * 1024 * 1024);
  assert.deepEqual(
    { tagTtl: config.routes[0]!.tagTtl, listTtl: config.routes[0]!.listTtl, staleIfError: config.routes[0]!.staleIfError },
    { tagTtl: 300_000, listTtl: 10_000, staleIfError: 86_400_000 },
  );
  assert.equal(config.routes[0]!.blobCache?.maxBytes, 50e9);
  assert.ok(config.routes[0]!.blobCache?.path.endsWith('/blobs') && config.routes[0]!.blobCache.path.startsWith('/'));
  const bad = file('bad-cache.yaml', `
redis: { url: redis://a:1, cluster: { nodes: [{ host: a, port: 1 }] } }
backends: { hub: { type: dockerhub } }
routes: [{ prefix: hub/, backend: hub, tagTtl: soon }]
`);
  assert.throws(() => loadConfig({ file: bad, env: {} }), (err: Error) =>
    /redis: set exactly one of url, sentinel or cluster/.test(err.message) && /routes\[0\]\.tagTtl: must be a duration/.test(err.message));
});

test('server.metrics is on by default, and can be turned off in the file or with GANTRY_SERVER__METRICS', () => {
  assert.equal(loadConfig({ env: {} }).server.metrics, true);
  const path = file('metrics-off.yaml', 'server: { metrics: false }\nbackends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: a }]');
  assert.equal(loadConfig({ file: path, env: {} }).server.metrics, false);
  assert.equal(loadConfig({ env: { GANTRY_SERVER__METRICS: 'false' } }).server.metrics, false);
});

test('replication: the worker listener and health window, defaulted and validated', () => {
  const base = 'redis: { url: "redis://127.0.0.1:6379" }\nbackends: { a: { type: local, path: ./x } }\nroutes: [{ prefix: "", backend: a }]\n';
  const defaults = loadConfig({ file: file('worker-defaults.yaml', `${base}replication: { rules: [] }`), env: {} });
  assert.equal(defaults.replication?.workerListen, '127.0.0.1:9464');
  assert.equal(defaults.replication?.workerHealthWindow, 30_000);
  const set = loadConfig({ file: file('worker-set.yaml', `${base}replication: { workerListen: "0.0.0.0:9500", workerHealthWindow: 10s }`), env: {} });
  assert.equal(set.replication?.workerListen, '0.0.0.0:9500');
  assert.equal(set.replication?.workerHealthWindow, 10_000);
  for (const [yaml, expected] of [
    [`${base}replication: { workerListen: "9464" }`, /replication\.workerListen: must be host:port/],
    [`${base}replication: { workerListen: "0.0.0.0:70000" }`, /replication\.workerListen: port must be 1–65535/],
    [`${base}replication: { workerHealthWindow: 500ms }`, /replication\.workerHealthWindow: must be at least 1s/],
  ] as const) {
    assert.throws(() => loadConfig({ file: file('worker-bad.yaml', yaml), env: {} }), (err: unknown) => err instanceof ConfigError && expected.test(err.message), yaml);
  }
});
