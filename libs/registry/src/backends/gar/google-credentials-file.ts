import { readFileSync } from 'node:fs';
import {
  AwsClient,
  ExternalAccountAuthorizedUserClient,
  IdentityPoolClient,
  JWT,
  PluggableAuthClient,
  UserRefreshClient,
  type AuthClient,
} from 'google-auth-library';
import { ConfigError } from '#config';

/** The fields of a Google credentials JSON file that pick and build its client. */
interface CredentialsJson {
  type?: unknown;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  project_id?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
  quota_project_id?: string;
  credential_source?: { environment_id?: string; executable?: unknown };
  [key: string]: unknown;
}

/**
 * The auth client for a `credentialsFile`, built with the constructor of its credential type.
 * google-auth-library deprecates `keyFilename` and `fromJSON` (they accept any type from a file
 * of unknown origin, and print a warning); this file is the operator's own configuration, and
 * only the types Gantry documents are accepted.
 */
export function authClientFromFile(backend: string, path: string, scopes: string[]): AuthClient {
  const key = `backends.${backend}.credentialsFile`;
  let json: CredentialsJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as CredentialsJson;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(`invalid configuration:\n  ${key}: cannot read ${path}: ${reason}`);
  }
  switch (json.type) {
    case 'service_account':
      return new JWT({ email: json.client_email, key: json.private_key, keyId: json.private_key_id, projectId: json.project_id, scopes });
    case 'authorized_user':
      return new UserRefreshClient({
        clientId: json.client_id, clientSecret: json.client_secret, refreshToken: json.refresh_token, quotaProjectId: json.quota_project_id,
      });
    case 'external_account': {
      const options = { ...json, type: 'external_account', scopes } as ConstructorParameters<typeof IdentityPoolClient>[0];
      if (json.credential_source?.environment_id) return new AwsClient(options as ConstructorParameters<typeof AwsClient>[0]);
      if (json.credential_source?.executable) return new PluggableAuthClient(options as ConstructorParameters<typeof PluggableAuthClient>[0]);
      return new IdentityPoolClient(options);
    }
    case 'external_account_authorized_user':
      return new ExternalAccountAuthorizedUserClient(json as unknown as ConstructorParameters<typeof ExternalAccountAuthorizedUserClient>[0]);
    default:
      throw new ConfigError(
        `invalid configuration:\n  ${key}: unsupported credential type ${JSON.stringify(json.type)} ` +
          '(service_account, authorized_user, external_account or external_account_authorized_user)',
      );
  }
}
