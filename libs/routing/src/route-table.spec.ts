import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OciError } from '#oci';
import { RouteTable } from './route-table';

const table = new RouteTable([
  { prefix: 'hub/', backend: 'hub', upstreamPrefix: '' },
  { prefix: 'gcp/', backend: 'gar', upstreamPrefix: 'images/' },
  { prefix: 'gcp/legacy/', backend: 'old', upstreamPrefix: '' },
  { prefix: '', backend: 'local', upstreamPrefix: '' },
]);

test('first matching prefix wins and is replaced by upstreamPrefix', () => {
  assert.deepEqual(table.resolve('hub/library/redis'), { rule: table.all[0], backend: 'hub', upstreamName: 'library/redis' });
  assert.equal(table.resolve('gcp/ml/trainer').upstreamName, 'images/ml/trainer');
  assert.equal(table.resolve('gcp/legacy/x').backend, 'gar', 'an earlier rule shadows a later one');
  assert.equal(table.resolve('team/app').backend, 'local');
});

test('a name no route matches is NAME_UNKNOWN', () => {
  const narrow = new RouteTable([{ prefix: 'hub/', backend: 'hub', upstreamPrefix: '' }]);
  assert.throws(() => narrow.resolve('other/app'), (e: unknown) => e instanceof OciError && e.code === 'NAME_UNKNOWN');
  assert.throws(() => narrow.resolve('hub/'), (e: unknown) => e instanceof OciError && e.code === 'NAME_UNKNOWN');
});

test('catalog names map back only where the rule would route them', () => {
  assert.equal(table.publicName(table.all[1]!, 'images/ml/trainer'), 'gcp/ml/trainer');
  assert.equal(table.publicName(table.all[1]!, 'other/thing'), undefined);
  assert.equal(table.publicName(table.all[2]!, 'x'), undefined, 'gcp/legacy/x is routed to gar, not old');
  assert.equal(table.publicName(table.all[3]!, 'hub/shadowed'), undefined);
  assert.equal(table.publicName(table.all[3]!, 'team/app'), 'team/app');
});
