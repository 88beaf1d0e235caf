import { z } from 'zod';
import { byteSize, duration } from './units';

const secret = z.string().min(1);

/** Username/password for a registry; `passwordFile` is resolved into `password` at load time. */
const basicCredentials = z.strictObject({
  username: z.string().min(1),
  password: secret.optional(),
});

const blobMode = z.enum(['proxy', 'redirect']).default('proxy');

/** What every backend that talks HTTP to a registry shares. */
const httpBackendFields = {
  blobs: blobMode,
  /** Hosts a Bearer token realm may point at; default is the registry's own host. */
  allowedRealmHosts: z.array(z.string().min(1)).optional(),
  /**
   * connectMs: TCP and TLS handshake. readMs: wait for headers and each gap between body bytes
   * (a blob transfer is bounded by this idle time only). requestMs: one whole request with its
   * retries (manifests, tags, referrers, catalog, and a blob's wait for headers).
   */
  timeouts: z
    .strictObject({
      connectMs: z.number().int().positive().default(5000),
      readMs: z.number().int().positive().default(30000),
      requestMs: z.number().int().positive().default(30000),
    })
    .default({ connectMs: 5000, readMs: 30000, requestMs: 30000 }),
  retries: z.number().int().min(0).max(10).default(2),
  /** After `failures` consecutive failures (network, timeout, 5xx) requests fail fast for `openSeconds`; 0 never opens. */
  circuitBreaker: z
    .strictObject({
      failures: z.number().int().min(0).default(5),
      openSeconds: z.number().int().positive().default(30),
    })
    .default({ failures: 5, openSeconds: 30 }),
};

const registryBackend = z.strictObject({
  type: z.literal('registry'),
  url: z.url(),
  credentials: basicCredentials.optional(),
  ...httpBackendFields,
});

const dockerhubBackend = z.strictObject({
  type: z.literal('dockerhub'),
  url: z.url().default('https://registry-1.docker.io'),
  credentials: basicCredentials.optional(),
  ...httpBackendFields,
});

const awsStaticCredentials = z.strictObject({
  accessKeyId: z.string().min(1),
  secretAccessKey: secret,
  sessionToken: secret.optional(),
});

const ecrBackend = z.strictObject({
  type: z.literal('ecr'),
  region: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS region such as us-east-1'),
  registryId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  registryUrl: z.url().optional(),
  apiEndpoint: z.url().optional(),
  credentials: awsStaticCredentials.optional(),
  createRepositories: z.boolean().default(true),
  ...httpBackendFields,
});

const garBackend = z.strictObject({
  type: z.literal('gar'),
  location: z.string().min(1),
  project: z.string().min(1),
  repository: z.string().min(1).optional(),
  registryUrl: z.url().optional(),
  apiEndpoint: z.string().min(1).optional(),
  /** Service-account key, ADC or external_account (workload identity federation) JSON file. */
  credentialsFile: z.string().min(1).optional(),
  ...httpBackendFields,
});

const acrBackend = z.strictObject({
  type: z.literal('acr'),
  registry: z.string().min(1),
  registryUrl: z.url().optional(),
  apiEndpoint: z.url().optional(),
  /** Service principal (client secret) or admin user; absent = DefaultAzureCredential. */
  credentials: z
    .union([
      z.strictObject({ tenantId: z.string().min(1), clientId: z.string().min(1), clientSecret: secret }),
      basicCredentials,
    ])
    .optional(),
  authorityHost: z.url().optional(),
  /**
   * Skip MSAL's instance discovery, which asks login.microsoftonline.com whether `authorityHost`
   * is a Microsoft cloud: needed for an authority it does not know (Azure Stack, a private one).
   */
  disableInstanceDiscovery: z.boolean().optional(),
  ...httpBackendFields,
});

const localBackend = z.strictObject({
  type: z.literal('local'),
  path: z.string().min(1),
  delete: z.boolean().default(true),
  /** Abandoned upload sessions are removed after this many seconds. */
  uploadExpirySeconds: z.number().int().positive().default(24 * 3600),
});

export const backendSchema = z.discriminatedUnion('type', [
  registryBackend,
  dockerhubBackend,
  ecrBackend,
  garBackend,
  acrBackend,
  localBackend,
]);

const routeSchema = z.strictObject({
  prefix: z.string().regex(/^([a-z0-9._-]+\/)*$/, 'must be empty or end with "/" (lowercase name components)'),
  backend: z.string().min(1),
  upstreamPrefix: z.string().regex(/^([a-z0-9._-]+\/)*$/, 'must be empty or end with "/"').default(''),
  /** false: every request of this route goes to the backend (X-Gantry-Cache: bypass). */
  cache: z.boolean().default(true),
  /** How long a tag's digest is fresh; after it, the cached answer is served once more while one refresh goes upstream. */
  tagTtl: duration.default(60_000),
  /** Tag lists, referrers and this route's share of the catalog. */
  listTtl: duration.default(30_000),
  /** How old a tag's digest may be to answer when the upstream fails (5xx, 429, timeout, down); 0 turns it off. */
  staleIfError: duration.default(86_400_000),
  /** Blobs kept on disk after their first pull, verified by digest; absent: blobs are not cached. */
  blobCache: z.strictObject({ path: z.string().min(1), maxBytes: byteSize }).optional(),
  /** Backends holding copies (replication): pulls fail over to them, in order, when the primary fails. Writes never do. */
  replicas: z.array(z.string().min(1)).default([]),
});

/** One Redis for everything in Gantry that needs it: a URL, or Sentinel, or Cluster. */
const redisSchema = z
  .strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    sentinel: z
      .strictObject({
        name: z.string().min(1),
        sentinels: z.array(z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })).min(1),
        password: z.string().min(1).optional(),
      })
      .optional(),
    cluster: z.strictObject({ nodes: z.array(z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })).min(1) }).optional(),
    password: z.string().min(1).optional(),
    /** Prefix of every key and channel Gantry uses, so several Gantry installations can share one Redis. */
    keyPrefix: z.string().default('gantry:'),
  })
  .superRefine((redis, ctx) => {
    const modes = [redis.url, redis.sentinel, redis.cluster].filter((m) => m !== undefined).length;
    if (modes !== 1) ctx.addIssue({ code: 'custom', message: 'set exactly one of url, sentinel or cluster' });
  });

const cacheSchema = z.strictObject({
  /** The in-process cache (the only one without Redis, the L1 in front of Redis with it). */
  memory: byteSize.default(64 * 1024 * 1024),
});

/** `host:port` or `[v6]:port`, port 1–65535. */
const listenAddress = z.string().superRefine((value, ctx) => {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!match) ctx.addIssue({ code: 'custom', message: 'must be host:port' });
  else if (Number(match[2]) < 1 || Number(match[2]) > 65535) ctx.addIssue({ code: 'custom', message: 'port must be 1–65535' });
});

const uploadSessionsSchema = z.strictObject({
  store: z.enum(['memory', 'file']).default('file'),
  path: z.string().min(1).default('./data/.gantry/uploads'),
  /** Open sessions allowed per repository and in all; a client over the cap gets 429. */
  maxPerRepository: z.number().int().positive().default(100),
  maxTotal: z.number().int().positive().default(10_000),
  /** Sessions older than this are swept periodically, and the backend's side is cancelled. */
  maxAgeSeconds: z.number().int().positive().default(24 * 3600),
});

const accessAction = z.enum(['pull', 'push', 'delete', 'catalog', 'admin']);

/** Who a rule is about: `anonymous`, `authenticated`, `*`, `user:<name>`, `group:<name>`, `robot:<name>`, `claim:<name>=<value>` (OIDC). */
const subjectPattern = z
  .string()
  .regex(
    /^(anonymous|authenticated|\*|(user|group|robot):[^\s:]+|claim:[^=\s]+=\S.*)$/,
    'must be anonymous, authenticated, *, user:<name>, group:<name>, robot:<name> or claim:<name>=<value>',
  );

const accessRuleSchema = z.strictObject({
  /** Named in explain answers and audit lines; default `rules[<index>]`. */
  name: z.string().min(1).optional(),
  effect: z.enum(['allow', 'deny']).default('allow'),
  subjects: z.array(subjectPattern).min(1),
  /** Repository globs (picomatch: `team/**`, `*`); `admin` and `catalog` ignore them. */
  repositories: z.array(z.string().min(1)).min(1),
  actions: z.array(accessAction).min(1),
});

const userSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9._@-]+$/, 'user names use letters, digits, ., _, @ and -'),
  passwordHash: z.string().regex(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/, 'must be a bcrypt hash ($2b$12$...)'),
  groups: z.array(z.string().min(1)).default([]),
});

const oidcIssuerSchema = z.strictObject({
  /** Short name used in subjects (`oidc:<name>:<sub>`), explain answers and audit lines. */
  name: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'issuer names use letters, digits, - and _'),
  issuer: z.url(),
  audience: z.string().min(1),
  /** Default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUrl: z.url().optional(),
  /** The claim that names the identity (audit, explain). */
  subjectClaim: z.string().min(1).default('sub'),
  /** claim → value → group, e.g. `{ repository_owner: { acme: ci-acme } }`. */
  groups: z.record(z.string().min(1), z.record(z.string(), z.string().min(1))).default({}),
});

const authSchema = z.strictObject({
  /** The token's audience and the `service` of the challenge. */
  service: z.string().min(1).default('gantry'),
  /** The token's `iss`. */
  issuer: z.string().min(1).default('gantry'),
  tokenTtl: duration.default(300_000),
  /** A refresh token (POST /token, OAuth2) lives this long. */
  refreshTokenTtl: duration.default(86_400_000),
  /** ES256 key (PKCS#8 PEM), generated there on first start; `previous` keys still verify until their tokens expire. */
  signingKey: z
    .strictObject({
      file: z.string().min(1).default('./data/.gantry/token-signing-key.pem'),
      previous: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  users: z.array(userSchema).default([]),
  oidc: z.array(oidcIssuerSchema).default([]),
  /** Robot accounts (admin API): kept in Redis when configured, else in this file. */
  robots: z
    .strictObject({
      path: z.string().min(1).default('./data/.gantry/robots.json'),
      maxTtl: duration.default(365 * 86_400_000),
    })
    .prefault({}),
  rules: z.array(accessRuleSchema).default([]),
  /** Failed logins per user from one address, and per address for all users, within `windowSeconds`. */
  loginLimits: z
    .strictObject({
      perUserAddress: z.number().int().positive().default(10),
      perAddress: z.number().int().positive().default(50),
      windowSeconds: z.number().int().positive().default(60),
    })
    .prefault({}),
  /** Audit lines: `stdout`, `stderr`, or a file path. */
  audit: z.strictObject({ destination: z.string().min(1).default('stdout') }).prefault({}),
});

/** A key that signatures must verify with: a PEM public key file, or a name for it. */
const signatureKeySchema = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), file: z.string().min(1) }),
]);

/** Pull admission: checked on manifest GET and HEAD of the repositories it names, on every backend. */
const policySchema = z.strictObject({
  name: z.string().min(1),
  repositories: z.array(z.string().min(1)).min(1),
  /** Tag globs that may not be pulled, e.g. `latest`. */
  denyTags: z.array(z.string().min(1)).default([]),
  /** Only digest references (`@sha256:...`) may be pulled. */
  requireDigest: z.boolean().default(false),
  /** A cosign or Notary v2 signature whose subject is the pulled manifest; with `keys`, verified by one of them. */
  requireSignature: z
    .strictObject({
      keys: z.array(signatureKeySchema).default([]),
      formats: z.array(z.enum(['cosign', 'notation'])).min(1).default(['cosign', 'notation']),
    })
    .optional(),
  /** Manifest media types that may be pulled. */
  mediaTypes: z.array(z.string().min(1)).min(1).optional(),
  /** Platforms (`os/arch` or `os/arch/variant`) that may be pulled. */
  platforms: z.array(z.string().regex(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, 'must be os/arch or os/arch/variant')).min(1).optional(),
});

/** Which tags of a source repository a replication rule copies (all given filters must pass). */
const tagFilterSchema = z.strictObject({
  /** Tag globs (picomatch), e.g. `v*`, `release-*`; absent: every tag. */
  include: z.array(z.string().min(1)).min(1).optional(),
  /** A regular expression a tag must match (whole tag). */
  regex: z.string().min(1).optional(),
  /** A semver range (`semver` package), e.g. `>=1.2 <2`; tags that are not versions do not match. */
  semver: z.string().min(1).optional(),
  /** Tag globs never copied (checked last). */
  exclude: z.array(z.string().min(1)).default([]),
});

const replicationDestinationSchema = z.strictObject({
  backend: z.string().min(1),
  /** The destination name: `{name}` is the source repository (as its backend knows it), e.g. `mirror/{name}`. */
  repository: z.string().min(1).default('{name}'),
  /** Copies running at once to this destination, over all workers. */
  concurrency: z.number().int().positive().optional(),
  /** At most this many copies start per minute to this destination (Docker Hub's budget); absent: no limit. */
  perMinute: z.number().int().positive().optional(),
});

const replicationTriggerSchema = z.union([
  z.enum(['on-push', 'manual', 'reconcile']),
  z.strictObject({ cron: z.string().min(1) }),
]);

const replicationRuleSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'rule names use letters, digits, - and _'),
  source: z.strictObject({
    backend: z.string().min(1),
    /** Repository globs over the names as the source backend knows them. */
    repositories: z.array(z.string().min(1)).min(1),
    tags: tagFilterSchema.prefault({}),
  }),
  destinations: z.array(replicationDestinationSchema).min(1),
  triggers: z.array(replicationTriggerSchema).min(1).default(['on-push', 'manual']),
});

const replicationSchema = z.strictObject({
  /** `inline`: the gateway runs the workers itself; `external`: `npm run worker` processes do. */
  workers: z.enum(['inline', 'external']).default('external'),
  /** Copies one worker process runs at once. */
  concurrency: z.number().int().positive().default(4),
  /** Tries per job before it is kept as failed (dead letter), with exponential backoff from `backoff`. */
  attempts: z.number().int().positive().default(5),
  backoff: duration.default(5_000),
  /** Layers above this go up in chunks, and a copy that dies mid-layer resumes from the destination's offset. */
  chunkThreshold: byteSize.default(64 * 1024 * 1024),
  chunkSize: byteSize.default(16 * 1024 * 1024),
  /** Blobs of one image copied at once. */
  blobConcurrency: z.number().int().positive().default(4),
  /** How often `reconcile` rules compare source tags with what was last copied. */
  reconcileInterval: duration.default(300_000),
  /** A worker process's own HTTP listener: GET /metrics and GET /healthz. */
  workerListen: listenAddress.default('127.0.0.1:9464'),
  /** A worker process is unhealthy (/healthz 503) when Redis has not answered a ping for this long. */
  workerHealthWindow: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default(30_000),
  rules: z.array(replicationRuleSchema).default([]),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        listen: listenAddress.default('0.0.0.0:5000'),
        /** Serve HTTPS directly; paths are relative to the config file. */
        tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
        publicUrl: z.url().optional(),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Seconds given to in-flight transfers at shutdown. */
        shutdownGraceSeconds: z.number().int().min(0).default(30),
        /** How long the federated `_catalog` waits for each backend before answering without it. */
        catalogTimeoutMs: z.number().int().positive().default(5000),
        /** A request body that sends no byte for this long is cut off (its upload stays resumable). */
        bodyIdleTimeoutSeconds: z.number().int().positive().default(60),
        /** A client must send its request headers within this many seconds (408 otherwise). */
        headersTimeoutSeconds: z.number().int().positive().default(20),
        /** Where upload sessions live: `memory`, or files under `path` so a restart does not lose them. */
        uploadSessions: uploadSessionsSchema.prefault({}),
        /** Prometheus metrics at `GET /metrics` (false: no endpoint and no counting on the request path). */
        metrics: z.boolean({ error: 'server.metrics must be true or false' }).default(true),
      })
      .prefault({}),
    redis: redisSchema.optional(),
    cache: cacheSchema.prefault({}),
    backends: z.record(z.string().regex(/^[a-zA-Z0-9_-]+$/, 'backend names use letters, digits, - and _'), backendSchema),
    routes: z.array(routeSchema).min(1),
    /** Absent: anonymous access to everything, with a warning at start. */
    auth: authSchema.optional(),
    policies: z.array(policySchema).default([]),
    /** Copies images between backends (BullMQ on `redis`). */
    replication: replicationSchema.optional(),
  })
  .superRefine((config, ctx) => {
    config.routes.forEach((route, i) => {
      if (!(route.backend in config.backends)) {
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'backend'], message: `unknown backend "${route.backend}"` });
      }
      route.replicas.forEach((replica, j) => {
        if (!(replica in config.backends)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'replicas', j], message: `unknown backend "${replica}"` });
        else if (replica === route.backend) ctx.addIssue({ code: 'custom', path: ['routes', i, 'replicas', j], message: 'a route cannot be its own replica' });
      });
    });
    const replication = config.replication;
    if (replication && replication.rules.length > 0 && !config.redis) {
      ctx.addIssue({ code: 'custom', path: ['replication', 'rules'], message: 'replication needs Redis: add a top-level redis section (BullMQ keeps its jobs there)' });
    }
    const ruleNames = new Set<string>();
    replication?.rules.forEach((rule, i) => {
      if (ruleNames.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['replication', 'rules', i, 'name'], message: `duplicate rule name "${rule.name}"` });
      ruleNames.add(rule.name);
      if (!(rule.source.backend in config.backends)) {
        ctx.addIssue({ code: 'custom', path: ['replication', 'rules', i, 'source', 'backend'], message: `unknown backend "${rule.source.backend}"` });
      }
      rule.destinations.forEach((destination, j) => {
        if (!(destination.backend in config.backends)) {
          ctx.addIssue({ code: 'custom', path: ['replication', 'rules', i, 'destinations', j, 'backend'], message: `unknown backend "${destination.backend}"` });
        }
      });
    });
    const policyNames = new Set<string>();
    config.policies.forEach((policy, i) => {
      if (policyNames.has(policy.name)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `duplicate policy name "${policy.name}"` });
      policyNames.add(policy.name);
    });
  });

export type GantryConfig = z.infer<typeof configSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type RouteConfig = GantryConfig['routes'][number];
export type BackendOfType<T extends BackendConfig['type']> = Extract<BackendConfig, { type: T }>;
export type AuthConfig = NonNullable<GantryConfig['auth']>;
export type AccessRuleConfig = AuthConfig['rules'][number];
export type PolicyConfig = GantryConfig['policies'][number];
export type AccessAction = z.infer<typeof accessAction>;
export type ReplicationConfig = NonNullable<GantryConfig['replication']>;
export type ReplicationRuleConfig = ReplicationConfig['rules'][number];
