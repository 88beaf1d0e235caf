import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, FailureBudget, listen, readBody } from './http-util';

export interface EcrControlPlaneOptions {
  region: string;
  registryId: string;
  /** The registry host `proxyEndpoint` names (the data-plane front). */
  proxyEndpoint: string;
  /** access key id -> accepted (the IAM identities the account knows). */
  accessKeys: string[];
  /** Lifetime of an authorization token; 12 h in AWS, seconds in tests. */
  tokenTtlMs?: number;
  /** DescribeRepositories page size when the caller gives no maxResults. */
  pageSize?: number;
}

export interface EcrControlPlane {
  url: string;
  /** Calls per operation name, counted before throttling or auth. */
  calls: Record<string, number>;
  repositories: Map<string, { createdAt: number }>;
  /** `throttle.arm(n)`: the next n calls answer ThrottlingException. */
  throttle: FailureBudget;
  /** Lifetime of the tokens issued from now on (12 h in AWS). */
  tokenTtlMs: number;
  /** Added to the `expiresAt` reported (not the real expiry): a caller whose clock is behind. */
  clockSkewMs: number;
  /** 'valid', 'expired' or 'invalid' for the password of `AWS:<password>`. */
  checkToken(password: string): 'valid' | 'expired' | 'invalid';
  /** Every token issued so far is expired from now on, whatever its lifetime said. */
  expireIssued(): void;
  /** Every registry password issued so far, to check that none leaks. */
  issuedPasswords(): string[];
  addAccessKey(accessKeyId: string): void;
  /**
   * The IAM key is disabled: calls signed with it fail UnrecognizedClientException, and the
   * registry tokens it obtained stop working (ECR checks the principal on every request).
   */
  revokeAccessKey(accessKeyId: string): void;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const ECR_NAME = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * The ECR API as the AWS SDK speaks it: AWS JSON 1.1 over POST with `X-Amz-Target`, SigV4
 * signed (the access key id in the credential scope is checked, the signature is not), errors
 * as `{"__type", "message"}` with the type also in `x-amzn-errortype`.
 */
export async function startEcrControlPlane(options: EcrControlPlaneOptions): Promise<EcrControlPlane> {
  const calls: Record<string, number> = {};
  const repositories = new Map<string, { createdAt: number }>();
  const tokens = new Map<string, { expiresAt: number; accessKeyId: string }>();
  const accessKeys = new Set(options.accessKeys);
  const throttle = new FailureBudget();
  let ttl = options.tokenTtlMs ?? 12 * 3600 * 1000;

  let clockSkewMs = 0;

  const operations: Record<string, (input: Record<string, unknown>, accessKeyId: string) => unknown> = {
    GetAuthorizationToken(_input, accessKeyId) {
      const password = randomBytes(24).toString('base64url');
      const expiresAt = Date.now() + ttl;
      tokens.set(password, { expiresAt, accessKeyId });
      return {
        authorizationData: [{
          authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
          expiresAt: (expiresAt + clockSkewMs) / 1000,
          proxyEndpoint: options.proxyEndpoint,
        }],
      };
    },
    CreateRepository(input) {
      const name = String(input.repositoryName ?? '');
      if (!ECR_NAME.test(name)) {
        throw new AwsError('InvalidParameterException', `Invalid parameter at 'repositoryName' failed to satisfy constraint: '${name}'`);
      }
      if (repositories.has(name)) {
        throw new AwsError('RepositoryAlreadyExistsException',
          `The repository with name '${name}' already exists in the registry with id '${options.registryId}'`);
      }
      repositories.set(name, { createdAt: Date.now() / 1000 });
      return { repository: describe(name) };
    },
    DescribeRepositories(input) {
      const wanted = input.repositoryNames as string[] | undefined;
      if (wanted) {
        const missing = wanted.find((n) => !repositories.has(n));
        if (missing) {
          throw new AwsError('RepositoryNotFoundException',
            `The repository with name '${missing}' does not exist in the registry with id '${options.registryId}'`);
        }
        return { repositories: wanted.map(describe) };
      }
      // AWS orders by creation, not by name: the backend must sort.
      const all = [...repositories.keys()];
      const start = input.nextToken ? Number(Buffer.from(String(input.nextToken), 'base64').toString()) : 0;
      const size = Number(input.maxResults ?? options.pageSize ?? 100);
      const page = all.slice(start, start + size);
      const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
      return { repositories: page.map(describe), ...(next ? { nextToken: next } : {}) };
    },
  };

  function describe(name: string): object {
    return {
      repositoryArn: `arn:aws:ecr:${options.region}:${options.registryId}:repository/${name}`,
      registryId: options.registryId,
      repositoryName: name,
      repositoryUri: `${new URL(options.proxyEndpoint).host}/${name}`,
      createdAt: repositories.get(name)?.createdAt,
      imageTagMutability: 'MUTABLE',
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = await readBody(req);
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    calls[operation] = (calls[operation] ?? 0) + 1;
    try {
      if (req.method !== 'POST' || !operations[operation]) throw new AwsError('UnknownOperationException', `unknown operation ${target}`);
      if (!String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
        throw new AwsError('SerializationException', 'expected application/x-amz-json-1.1');
      }
      const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!accessKeyId || !accessKeys.has(accessKeyId)) {
        throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      if (throttle.take()) throw new AwsError('ThrottlingException', 'Rate exceeded');
      const result = operations[operation]!(body ? (JSON.parse(body) as Record<string, unknown>) : {}, accessKeyId);
      send(res, 200, result);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('ServerException', (err as Error).message, 500);
      send(res, e.status, { __type: e.type, message: e.message }, { 'x-amzn-errortype': e.type });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    repositories,
    throttle,
    get tokenTtlMs() {
      return ttl;
    },
    set tokenTtlMs(value: number) {
      ttl = value;
    },
    get clockSkewMs() {
      return clockSkewMs;
    },
    set clockSkewMs(value: number) {
      clockSkewMs = value;
    },
    checkToken(password) {
      const token = tokens.get(password);
      if (!token || !accessKeys.has(token.accessKeyId)) return 'invalid';
      return Date.now() >= token.expiresAt ? 'expired' : 'valid';
    },
    expireIssued() {
      for (const token of tokens.values()) token.expiresAt = 0;
    },
    issuedPasswords: () => [...tokens.keys()],
    addAccessKey(accessKeyId) {
      accessKeys.add(accessKeyId);
    },
    revokeAccessKey(accessKeyId) {
      accessKeys.delete(accessKeyId);
    },
    stop: () => closeServer(server),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(bytes.length),
    'x-amzn-requestid': randomBytes(16).toString('hex'),
    ...headers,
  });
  res.end(bytes);
}
