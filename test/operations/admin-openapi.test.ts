import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GatewayProcess } from '../support/gateway-process';
import { logLines } from '../support/log-lines';
import { tempDir } from '../support/temp';
import { ADMIN_AUTHORIZATION, type AdminGateway, startAdminGateway } from './admin-api-fixture';

interface Operation {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
  security?: Record<string, string[]>[];
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** `Mapped {/admin/v1/robots/:name, DELETE} route`: Nest's own route table, as it logs it at start (debug). */
function nestRoutes(logs: readonly string[]): string[] {
  return logLines(logs)
    .map((line) => /^Mapped \{(\S+), (\w+)\} route$/.exec(String(line.msg)))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[2]!.toLowerCase()} ${m[1]!.replace(/:(\w+)/g, '{$1}')}`);
}

describe('the admin API\'s OpenAPI document', () => {
  const dir = tempDir('admin-openapi');
  let admin: AdminGateway;
  let gateway: GatewayProcess;
  let document: OpenApi;

  before(async () => {
    admin = await startAdminGateway(dir.path);
    gateway = admin.gateway;
    const res = await fetch(`${gateway.url}/admin/openapi.json`, { headers: { authorization: ADMIN_AUTHORIZATION } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    document = (await res.json()) as OpenApi;
  });
  after(async () => {
    await admin?.stop();
    dir.remove();
  });

  test('documents exactly the routes Nest serves under /admin/v1', () => {
    const served = nestRoutes(gateway.logs).filter((route) => route.split(' ')[1]!.startsWith('/admin/v1/')).sort();
    assert.ok(served.length >= 12, `Nest's route table was read from the log: ${served.join(', ')}`);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`)).sort();
    assert.deepEqual(documented, served);
  });

  test('every operation has a summary, its answers and the admin credentials', () => {
    assert.equal(document.openapi, '3.0.0');
    assert.equal(document.info.title, 'Gantry admin API');
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['basic', 'bearer']);
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.summary && op.summary.length > 5, `${where} has no summary: document it with @ApiOperation`);
        assert.ok(Object.keys(op.responses).some((status) => status.startsWith('2')), `${where} documents no success answer`);
        assert.ok('401' in op.responses && '403' in op.responses, `${where} documents the guard's answers`);
        assert.deepEqual(op.security?.map((s) => Object.keys(s)[0]).sort(), ['basic', 'bearer'], where);
      }
    }
  });

  test('bodies and parameters are described', () => {
    const paths = document.paths;
    for (const [path, method] of [['/admin/v1/robots', 'post'], ['/admin/v1/access/explain', 'post'], ['/admin/v1/replication/run', 'post']] as const) {
      const schema = paths[path]?.[method]?.requestBody?.content['application/json']?.schema as { required?: string[]; anyOf?: { required?: string[] }[] } | undefined;
      const required = schema?.required?.length ?? schema?.anyOf?.filter((alternative) => alternative.required?.length).length;
      assert.ok(required, `${method} ${path} documents its JSON body`);
    }
    assert.deepEqual(paths['/admin/v1/robots/{name}']?.delete?.parameters?.map((p) => [p.name, p.in, p.required]), [['name', 'path', true]]);
    assert.deepEqual(paths['/admin/v1/cache']?.delete?.parameters?.map((p) => [p.name, p.in, p.required]), [['repository', 'query', true]]);
  });

  test('the document and the docs page need admin credentials like the API', async () => {
    for (const path of ['/admin/openapi.json', '/admin/docs', '/admin/docs/swagger-ui-bundle.js', '/admin/docs/init.js']) {
      const res = await fetch(`${gateway.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/, path);
      await res.arrayBuffer();
    }
    const res = await fetch(`${gateway.url}/admin/docs/package.json`, { headers: { authorization: ADMIN_AUTHORIZATION } });
    assert.equal(res.status, 404, 'only the UI\'s own files are served');
    await res.arrayBuffer();
  });
});
