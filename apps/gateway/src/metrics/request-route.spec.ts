import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RouteTable } from '#routing';
import { classifyRequest } from './request-route';

describe('classifyRequest', () => {
  const routes = new RouteTable([
    { prefix: 'hub/', backend: 'hub', upstreamPrefix: '' },
    { prefix: '', backend: 'local', upstreamPrefix: '' },
  ]);
  const digest = `sha256:${'a'.repeat(64)}`;

  test('v2 resources by kind, with the backend and route prefix, never the name', () => {
    assert.deepEqual(classifyRequest(`/v2/hub/library/redis/manifests/${digest}`, routes), { route: 'manifest', backend: 'hub', routePrefix: 'hub/' });
    assert.deepEqual(classifyRequest(`/v2/team/app/blobs/${digest}?x=1`, routes), { route: 'blob', backend: 'local', routePrefix: '' });
    assert.deepEqual(classifyRequest('/v2/team/app/blobs/uploads/', routes), { route: 'upload', backend: 'local', routePrefix: '' });
    assert.deepEqual(classifyRequest('/v2/team/app/blobs/uploads/abc', routes), { route: 'upload', backend: 'local', routePrefix: '' });
    assert.deepEqual(classifyRequest('/v2/team/app/tags/list?n=10', routes), { route: 'tags', backend: 'local', routePrefix: '' });
    assert.deepEqual(classifyRequest(`/v2/team/app/referrers/${digest}`, routes), { route: 'referrers', backend: 'local', routePrefix: '' });
  });

  test('everything else by its fixed name', () => {
    const none = { backend: 'none', routePrefix: undefined };
    assert.deepEqual(classifyRequest('/v2/', routes), { route: 'base', ...none });
    assert.deepEqual(classifyRequest('/v2/_catalog?n=5', routes), { route: 'catalog', ...none });
    assert.deepEqual(classifyRequest('/v2/nonsense', routes), { route: 'other', ...none });
    assert.deepEqual(classifyRequest('/token?scope=x', routes), { route: 'token', ...none });
    assert.deepEqual(classifyRequest('/admin/v1/cache', routes), { route: 'admin', ...none });
    assert.deepEqual(classifyRequest('/readyz', routes), { route: 'health', ...none });
    assert.deepEqual(classifyRequest('/metrics', routes), { route: 'metrics', ...none });
    assert.deepEqual(classifyRequest('/favicon.ico', routes), { route: 'other', ...none });
  });
});
