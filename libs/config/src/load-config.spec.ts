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
  assert.deepEqual(config.routes, [
    { prefix: 'hub/', backend: 'hub', upstreamPrefix: '' },
    { prefix: '', backend: 'local', upstreamPrefix: '' },
  ]);
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
