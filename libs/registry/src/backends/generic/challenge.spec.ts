import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWwwAuthenticate, selectChallenge } from './challenge';

test('quoted values keep commas, escapes and spaces; names are case-insensitive', () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.example.com/token",service="a, b",scope="repository:x/y:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'a, b', scope: 'repository:x/y:pull,push' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('BEARER Realm = "r\\"q" , Error=insufficient_scope'), [
    { scheme: 'bearer', params: { realm: 'r"q', error: 'insufficient_scope' } },
  ]);
});

test('several challenges in one header or in several headers', () => {
  const header = 'Basic realm="b", Bearer realm="https://t/token",service=reg';
  assert.deepEqual(parseWwwAuthenticate(header).map((c) => c.scheme), ['basic', 'bearer']);
  assert.deepEqual(parseWwwAuthenticate(['Basic realm="x"', 'Negotiate abc==']).map((c) => c.scheme), ['basic', 'negotiate']);
});

test('Bearer is preferred; service is optional; garbage yields nothing', () => {
  assert.deepEqual(selectChallenge('Basic realm="b", Bearer realm="https://t/token"'), { scheme: 'bearer', realm: 'https://t/token' });
  assert.deepEqual(selectChallenge('Basic realm="https://ecr/"'), { scheme: 'basic', realm: 'https://ecr/' });
  assert.equal(selectChallenge('Bearer service="no realm"'), undefined);
  assert.equal(selectChallenge(undefined), undefined);
  assert.equal(selectChallenge('==,,=  '), undefined);
});
