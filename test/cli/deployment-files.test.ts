import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { GATEWAY_NODE_FLAGS, WORKER_NODE_FLAGS } from '../../apps/gateway/src/bootstrap/node-flags';
import { tempDir } from '../support/temp';
import { runGantry } from './gantry-process';

const ROOT = resolve(__dirname, '../../..');
const K8S = join(ROOT, 'deploy', 'kubernetes');

type Manifest = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every document of every manifest under deploy/kubernetes/, parsed strictly (a YAML error fails). */
function kubernetesManifests(): Manifest[] {
  return readdirSync(K8S)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((doc) => {
        assert.deepEqual(doc.errors, [], f);
        return doc.toJS() as Manifest;
      }),
    );
}

function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  assert.ok(found, `${kind}/${name} missing`);
  return found;
}

/** No Docker engine or cluster here: the files are parsed and checked for what the README promises. */
describe('deployment files', () => {
  const dir = tempDir('cli-deploy');
  after(() => dir.remove());

  test('docker-compose.yml: 2 gateway replicas behind one nginx port, a worker, Redis, each with a healthcheck', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const { gantry, lb, worker, redis } = compose.services;
    assert.equal(gantry.deploy.replicas, 2);
    assert.equal(gantry.ports, undefined, 'the replicas are reached through the load balancer only');
    assert.ok(gantry.healthcheck.test.join(' ').includes('/readyz'));
    assert.deepEqual(gantry.depends_on.redis, { condition: 'service_healthy' });
    assert.deepEqual(lb.ports, ['5000:80']);
    assert.deepEqual(lb.depends_on.gantry, { condition: 'service_healthy' });
    assert.ok(lb.healthcheck);
    assert.deepEqual(worker.entrypoint, ['node', 'bin/gantry.js', 'worker']);
    assert.ok(worker.healthcheck.test.join(' ').includes('http://127.0.0.1:9464/healthz'), 'the worker is checked on its own /healthz');
    assert.equal(worker.environment.GANTRY_REPLICATION__WORKER_LISTEN, '0.0.0.0:9464');
    assert.deepEqual(redis.healthcheck.test, ['CMD', 'redis-cli', 'ping']);
    const conf = lb.volumes.find((v: string) => v.endsWith(':/etc/nginx/conf.d/default.conf:ro')) as string;
    const nginx = readFileSync(join(ROOT, conf.split(':')[0]!), 'utf8');
    assert.match(nginx, /server gantry:5000/);
    assert.match(nginx, /client_max_body_size 0;/);
    assert.match(nginx, /proxy_request_buffering off;/);
  });

  test('the config the compose services use is valid', async () => {
    const run = await runGantry(['config', 'validate', join(ROOT, 'examples', 'gantry.compose.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    // The compose file runs a worker, which refuses to start without rules.
    const config = parse(readFileSync(join(ROOT, 'examples', 'gantry.compose.yaml'), 'utf8')) as { replication?: { rules?: unknown[] } };
    assert.ok((config.replication?.rules?.length ?? 0) > 0, 'the compose config has replication rules for its worker');
  });

  test('Dockerfile: a HEALTHCHECK on /readyz with Node itself, and the gantry command on the PATH', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^HEALTHCHECK .*\\\n\s+CMD \["node", "-e", "fetch\(process\.env\.GANTRY_HEALTHCHECK_URL\)/m);
    assert.match(dockerfile, /^ENV GANTRY_HEALTHCHECK_URL=http:\/\/127\.0\.0\.1:5000\/readyz$/m);
    assert.match(dockerfile, /ln -s \/app\/bin\/gantry\.js \/usr\/local\/bin\/gantry/);
    // The dashboard's static files are not compiled into dist/.
    assert.match(dockerfile, /^COPY ui \.\/ui$/m);
  });

  test('the Docker image and the npm scripts start the gateway and the worker with the Node flags of node-flags.ts', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.ok(entrypoint, 'the Dockerfile has an exec-form ENTRYPOINT');
    assert.deepEqual(JSON.parse(entrypoint[1]!), ['node', ...GATEWAY_NODE_FLAGS, 'dist/apps/gateway/src/main.js']);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.ok(scripts.start!.endsWith(`node ${GATEWAY_NODE_FLAGS.join(' ')} dist/apps/gateway/src/main.js`), scripts.start);
    assert.ok(scripts.worker!.endsWith(`node ${WORKER_NODE_FLAGS.join(' ')} dist/apps/worker/src/main.js`), scripts.worker);
  });

  test('Kubernetes: the gateway Deployment probes /readyz and /healthz, the Service selects it, the worker runs gantry worker', () => {
    const manifests = kubernetesManifests();
    const gateway = find(manifests, 'Deployment', 'gantry');
    assert.ok(gateway.spec.replicas >= 2);
    const container = gateway.spec.template.spec.containers[0];
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.ports[0].containerPort, 5000);
    assert.ok(container.env.some((e: { name: string; value: string }) => e.name === 'GANTRY_CONFIG' && e.value === '/etc/gantry/gantry.yaml'));

    const service = find(manifests, 'Service', 'gantry');
    for (const [label, value] of Object.entries(service.spec.selector as Record<string, string>)) {
      assert.equal(gateway.spec.template.metadata.labels[label], value, `the Service selects ${label}=${value}`);
    }
    assert.equal(service.spec.ports[0].targetPort, container.ports[0].name);

    const worker = find(manifests, 'Deployment', 'gantry-worker');
    const workerContainer = worker.spec.template.spec.containers[0];
    assert.deepEqual(workerContainer.command, ['node', 'bin/gantry.js', 'worker']);
    assert.ok(workerContainer.env.some((e: { name: string; value: string }) => e.name === 'GANTRY_REPLICATION__WORKER_LISTEN' && e.value === '0.0.0.0:9464'));
    assert.equal(workerContainer.livenessProbe.httpGet.path, '/healthz');
    assert.equal(workerContainer.livenessProbe.httpGet.port, 'metrics');
    assert.equal(workerContainer.ports[0].containerPort, 9464);
    assert.equal(worker.spec.template.metadata.annotations['prometheus.io/port'], '9464');
    find(manifests, 'Secret', 'gantry-credentials');
    find(manifests, 'PersistentVolumeClaim', 'gantry-uploads');
    find(manifests, 'Service', 'gantry-redis');

    // Every volume a pod mounts is one it declares, and names the ConfigMap / Secret shipped here.
    for (const deployment of [gateway, worker]) {
      const pod = deployment.spec.template.spec;
      const volumes = new Map((pod.volumes as { name: string; configMap?: { name: string }; secret?: { secretName: string } }[]).map((v) => [v.name, v]));
      for (const mount of pod.containers[0].volumeMounts as { name: string }[]) assert.ok(volumes.has(mount.name), `${deployment.metadata.name}: volume ${mount.name}`);
      assert.equal(volumes.get('config')!.configMap!.name, 'gantry-config');
      assert.equal(volumes.get('credentials')!.secret!.secretName, 'gantry-credentials');
    }
    const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    for (const file of kustomization.resources) assert.ok(readdirSync(K8S).includes(file), file);
  });

  test('Kubernetes: the ConfigMap\'s gantry.yaml is valid, its secret files being the Secret\'s keys', async () => {
    const manifests = kubernetesManifests();
    const config = find(manifests, 'ConfigMap', 'gantry-config').data!['gantry.yaml']!;
    const secret = find(manifests, 'Secret', 'gantry-credentials') as Manifest & { stringData: Record<string, string> };
    // Mount the example Secret where the pod would have it, and validate as the gateway would load it.
    const secrets = join(dir.path, 'secrets');
    mkdirSync(secrets);
    for (const [key, value] of Object.entries(secret.stringData)) writeFileSync(join(secrets, key), value);
    const file = join(dir.path, 'gantry.yaml');
    writeFileSync(file, config.replaceAll('/run/secrets/gantry/', `${secrets}/`));
    const run = await runGantry(['config', 'validate', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /valid \(2 backends, 2 routes, auth on\)/);
  });
});
