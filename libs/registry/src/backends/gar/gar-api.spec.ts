import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientEndpoint } from './gar-api';

test('apiEndpoint is host[:port] (https) or a URL whose scheme picks the protocol', () => {
  assert.deepEqual(clientEndpoint('europe-west1-artifactregistry.googleapis.com'),
    { apiEndpoint: 'europe-west1-artifactregistry.googleapis.com', port: 443, protocol: 'https' });
  assert.deepEqual(clientEndpoint('private.example:8443'), { apiEndpoint: 'private.example', port: 8443, protocol: 'https' });
  assert.deepEqual(clientEndpoint('http://127.0.0.1:9000'), { apiEndpoint: '127.0.0.1', port: 9000, protocol: 'http' });
});
