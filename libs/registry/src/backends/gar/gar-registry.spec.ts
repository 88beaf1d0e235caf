import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { GarApi } from './gar-api';
import { gcrRepositoryOf, GarRegistry } from './gar-registry';

/** The Artifact Registry API as the catalog sees it: repositories and the images in each. */
function fakeApi(images: Record<string, string[]>): GarApi {
  return {
    repositories: async () => Object.keys(images),
    images: async (repository: string) => images[repository] ?? [],
    close: async () => undefined,
  } as unknown as GarApi;
}

function registry(url: string, extra: { repository?: string } = {}): GarRegistry {
  return new GarRegistry({
    name: 'gar', url, api: fakeApi({ images: ['team/app'], 'gcr.io': ['legacy/tool'] }),
    project: 'my-project', location: 'us', ...extra, gcrRepository: gcrRepositoryOf(url),
    blobMode: 'proxy', timeouts: { connectMs: 1000, readMs: 1000 }, retries: 0, logger: pino({ level: 'silent' }),
  });
}

test('gcr.io hosts stand for their Artifact Registry repository', () => {
  assert.equal(gcrRepositoryOf('https://gcr.io'), 'gcr.io');
  assert.equal(gcrRepositoryOf('https://eu.gcr.io/'), 'eu.gcr.io');
  assert.equal(gcrRepositoryOf('https://europe-west1-docker.pkg.dev'), undefined);
  assert.equal(gcrRepositoryOf('https://evil-gcr.io'), undefined);
});

test('catalog names: repository/image on pkg.dev, image alone under a configured repository or a gcr.io host', async () => {
  assert.deepEqual((await registry('https://us-docker.pkg.dev').listRepositories!({})).items, ['gcr.io/legacy/tool', 'images/team/app']);
  assert.deepEqual((await registry('https://us-docker.pkg.dev', { repository: 'images' }).listRepositories!({})).items, ['team/app']);
  assert.deepEqual((await registry('https://gcr.io').listRepositories!({})).items, ['legacy/tool']);
});
