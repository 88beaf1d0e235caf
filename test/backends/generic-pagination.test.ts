import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { GenericRegistry } from '../../libs/registry/src/backends/generic';
import { freePort } from '../support/temp';

/**
 * An upstream that pages with `Link: <...>; rel="next"` (ACR, GAR, distribution's catalog) and
 * ignores what the client asked for: the backend follows every page and paginates itself.
 */
describe('GenericRegistry and Link pagination', () => {
  const tags = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(2, '0')}`).reverse();
  const seen: string[] = [];
  let base = '';
  const server = createServer((req, res) => {
    seen.push(req.url!);
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    const page = Number(url.searchParams.get('page') ?? '0');
    const isCatalog = url.pathname === '/v2/_catalog';
    const items = isCatalog ? ['b/x', 'a/y', 'c/z'].slice(page, page + 1) : tags.slice(page * 10, page * 10 + 10);
    const more = isCatalog ? page < 2 : (page + 1) * 10 < tags.length;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // Relative on tags, absolute on the catalog; plus a parameter before rel, as ACR sends.
    if (more) headers.link = isCatalog ? `<${base}/v2/_catalog?page=${page + 1}>; type="x"; rel="next"` : `</v2/team/app/tags/list?page=${page + 1}>; rel="next"`;
    if (url.pathname === '/v2/team/evil/tags/list') headers.link = '<http://169.254.169.254/latest/meta-data>; rel="next"';
    res.writeHead(200, headers).end(JSON.stringify(isCatalog ? { repositories: items } : { name: 'team/app', tags: items }));
  });
  let registry: GenericRegistry;

  before(async () => {
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${port}`;
    registry = new GenericRegistry({
      name: 'paged', type: 'registry', url: base, blobMode: 'proxy', timeouts: { connectMs: 1000, readMs: 5000 }, retries: 0, logger: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    await registry?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('every tags page is fetched, merged, sorted and paginated with n/last', async () => {
    const all = await registry.listTags('team/app', {});
    assert.deepEqual(all.items, [...tags].sort());
    assert.equal(seen.filter((s) => s.startsWith('/v2/team/app/tags/list')).length, 3);
    assert.deepEqual(await registry.listTags('team/app', { n: 3, last: 't10' }), { items: ['t11', 't12', 't13'], next: 't13' });
  });

  test('the catalog follows absolute Links', async () => {
    assert.deepEqual(await registry.listRepositories!({}), { items: ['a/y', 'b/x', 'c/z'] });
  });

  test('a Link to another host is not followed', async () => {
    const before = seen.length;
    assert.deepEqual((await registry.listTags('team/evil', {})).items.length, 10);
    assert.equal(seen.length, before + 1);
  });
});
