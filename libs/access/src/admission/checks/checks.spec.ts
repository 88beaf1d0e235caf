import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '#config';
import { compilePolicy } from '../compiled-policy';
import { checkMediaType } from './media-type-check';
import { platformMatches } from './platform-check';
import { checkReference } from './reference-check';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function policy(fields: Record<string, unknown>) {
  const [config] = configSchema.parse({
    backends: { b: { type: 'local', path: '/unused' } },
    routes: [{ prefix: '', backend: 'b' }],
    policies: [{ name: 'p', repositories: ['prod/**'], ...fields }],
  }).policies;
  return compilePolicy(config!, 0);
}

describe('admission checks', () => {
  test('repository globs: ** spans segments, * stays in one', () => {
    const p = policy({ repositories: ['prod/**', 'team/*/api'] });
    assert.equal(p.matchesRepository('prod/app'), true);
    assert.equal(p.matchesRepository('prod/a/b/c'), true);
    assert.equal(p.matchesRepository('production/app'), false);
    assert.equal(p.matchesRepository('team/x/api'), true);
    assert.equal(p.matchesRepository('team/x/y/api'), false);
  });

  test('denyTags globs; digests are never a tag; no tag rules, no check', () => {
    const p = policy({ denyTags: ['latest', 'dev-*'] });
    assert.deepEqual(checkReference(p, 'latest'), { ok: false, reason: 'tag "latest" is denied (denyTags "latest")' });
    assert.equal(checkReference(p, 'dev-1')?.ok, false);
    assert.equal(checkReference(p, 'v1')?.ok, true);
    assert.equal(checkReference(p, 'latest2')?.ok, true);
    assert.equal(checkReference(p, DIGEST)?.ok, true);
    assert.equal(checkReference(policy({}), 'latest'), undefined);
  });

  test('requireDigest refuses every tag', () => {
    const p = policy({ requireDigest: true });
    assert.equal(checkReference(p, 'v1')?.ok, false);
    assert.equal(checkReference(p, DIGEST)?.ok, true);
  });

  test('mediaTypes: exact media types; absent, no check', () => {
    const p = policy({ mediaTypes: ['application/vnd.oci.image.manifest.v1+json'] });
    assert.equal(checkMediaType(p, 'application/vnd.oci.image.manifest.v1+json')?.ok, true);
    assert.equal(checkMediaType(p, 'application/vnd.docker.distribution.manifest.v2+json')?.ok, false);
    assert.equal(checkMediaType(policy({}), 'anything/else'), undefined);
  });

  test('platforms: os/arch allows its variants, os/arch/variant only itself', () => {
    assert.equal(platformMatches('linux/arm64', 'linux/arm64'), true);
    assert.equal(platformMatches('linux/arm64', 'linux/arm64/v8'), true);
    assert.equal(platformMatches('linux/arm/v7', 'linux/arm/v7'), true);
    assert.equal(platformMatches('linux/arm/v7', 'linux/arm/v6'), false);
    assert.equal(platformMatches('linux/arm/v7', 'linux/arm'), false);
    assert.equal(platformMatches('linux/arm', 'linux/arm64'), false);
    assert.equal(platformMatches('linux/amd64', 'windows/amd64'), false);
  });
});
