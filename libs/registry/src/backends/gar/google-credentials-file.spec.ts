import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IdentityPoolClient, JWT, UserRefreshClient } from 'google-auth-library';
import { authClientFromFile } from './google-credentials-file';

const dir = mkdtempSync(join(tmpdir(), 'gantry-google-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

function file(name: string, json: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

test('each documented credential type gets the client of its type', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccount = authClientFromFile('g', file('sa.json', {
    type: 'service_account', client_email: 'gantry@p.iam.gserviceaccount.com', private_key_id: 'k1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), project_id: 'p',
  }), SCOPES);
  assert.ok(serviceAccount instanceof JWT);
  assert.equal(serviceAccount.email, 'gantry@p.iam.gserviceaccount.com');
  assert.deepEqual(serviceAccount.scopes, SCOPES);

  const user = authClientFromFile('g', file('user.json', { type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'r' }), SCOPES);
  assert.ok(user instanceof UserRefreshClient);

  const federated = authClientFromFile('g', file('wif.json', {
    type: 'external_account', audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/k',
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', token_url: 'https://sts.googleapis.com/v1/token',
    credential_source: { file: '/var/run/token' },
  }), SCOPES);
  assert.ok(federated instanceof IdentityPoolClient);
});

test('an unknown type or an unreadable file is a configuration error naming the key', () => {
  assert.throws(() => authClientFromFile('gar-eu', file('odd.json', { type: 'gdch_service_account' }), SCOPES),
    /backends\.gar-eu\.credentialsFile: unsupported credential type "gdch_service_account"/);
  assert.throws(() => authClientFromFile('gar-eu', join(dir, 'none.json'), SCOPES), /backends\.gar-eu\.credentialsFile: cannot read .*none\.json: ENOENT/);
  assert.throws(() => authClientFromFile('gar-eu', file('bad.json', {}), SCOPES), /unsupported credential type undefined/);
});
