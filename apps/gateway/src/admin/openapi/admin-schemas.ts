import type { SchemaObject } from '@nestjs/swagger';

/**
 * JSON schemas of the admin API's bodies, for its OpenAPI document. The controllers read and
 * validate bodies themselves (zod, bounded reads): these describe them, they do not check them.
 */

const timestamp: SchemaObject = { type: 'string', format: 'date-time' };
const accessAction: SchemaObject = { type: 'string', enum: ['pull', 'push', 'delete', 'catalog', 'admin'] };

export const ociErrorSchema: SchemaObject = {
  type: 'object',
  description: 'The OCI error envelope',
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { code: { type: 'string', example: 'UNAUTHORIZED' }, message: { type: 'string' }, detail: {} },
        required: ['code', 'message'],
      },
    },
  },
  required: ['errors'],
};

export const backendsStatusSchema: SchemaObject = {
  type: 'object',
  properties: {
    backends: {
      type: 'array',
      items: {
        type: 'object',
        description: 'What the backend reports about itself; never a secret. Further fields depend on the backend type.',
        properties: {
          name: { type: 'string', example: 'ecr-prod' },
          type: { type: 'string', example: 'ecr' },
          url: { type: 'string' },
          blobMode: { type: 'string', enum: ['proxy', 'redirect'] },
          credentials: {
            type: 'object',
            properties: { state: { type: 'string', enum: ['none', 'valid', 'error', 'unknown'] }, validUntil: timestamp, lastError: { type: 'string' } },
          },
          circuit: {
            type: 'object',
            properties: { state: { type: 'string', enum: ['closed', 'open', 'half-open'] }, consecutiveFailures: { type: 'integer' }, retryAt: timestamp },
          },
          error: { type: 'string' },
        },
        required: ['name', 'type'],
        additionalProperties: true,
      },
    },
  },
  required: ['backends'],
};

export const cacheStatusSchema: SchemaObject = {
  type: 'object',
  properties: {
    store: { type: 'string', example: 'tiered' },
    entries: { type: 'integer' },
    bytes: { type: 'integer' },
    redis: {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['url', 'sentinel', 'cluster'] }, available: { type: 'boolean' }, keys: { type: 'integer' }, usedMemoryBytes: { type: 'integer' },
      },
    },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          prefix: { type: 'string' }, backend: { type: 'string' }, cache: { type: 'boolean' },
          hit: { type: 'integer' }, miss: { type: 'integer' }, stale: { type: 'integer' }, bypass: { type: 'integer' }, hitRatio: { type: 'number' },
        },
      },
    },
  },
  required: ['store', 'entries', 'bytes', 'routes'],
};

export const cachePurgeSchema: SchemaObject = {
  type: 'object',
  properties: { repository: { type: 'string', example: 'hub/library/redis' }, backend: { type: 'string' }, removed: { type: 'integer', description: 'Cache entries removed' } },
  required: ['repository', 'backend', 'removed'],
};

export const explainRequestSchema: SchemaObject = {
  type: 'object',
  properties: {
    subject: { type: 'string', example: 'user:alice', description: '`user:NAME`, `robot:NAME`, `group:NAME`, `anonymous`, or an OIDC subject' },
    action: accessAction,
    repository: { type: 'string', example: 'team/app' },
    reference: { type: 'string', example: 'v1.2', description: 'A tag or digest: pull policies are explained too' },
  },
  required: ['subject', 'action'],
};

export const explainAnswerSchema: SchemaObject = {
  type: 'object',
  properties: {
    decision: { type: 'string', enum: ['allow', 'deny'] },
    reason: { type: 'string' },
    rules: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The rules that matched, in order' },
    notes: { type: 'array', items: { type: 'string' } },
    admission: { type: 'object', additionalProperties: true, description: 'The pull policies\' decision, with a reference' },
  },
  required: ['decision'],
  additionalProperties: true,
};

const robotScope: SchemaObject = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: { repositories: { type: 'array', items: { type: 'string' }, minItems: 1, example: ['ci/**'] }, actions: { type: 'array', items: accessAction, minItems: 1 } },
    required: ['repositories', 'actions'],
  },
};

export const createRobotSchema: SchemaObject = {
  type: 'object',
  properties: {
    name: { type: 'string', example: 'ci-builder' },
    scope: robotScope,
    expiresIn: { oneOf: [{ type: 'string', example: '30d' }, { type: 'integer', description: 'seconds' }] },
    description: { type: 'string', maxLength: 256 },
  },
  required: ['name', 'scope', 'expiresIn'],
  additionalProperties: false,
};

export const createdRobotSchema: SchemaObject = {
  type: 'object',
  description: 'The secret is in this answer and nowhere else, ever',
  properties: { name: { type: 'string' }, username: { type: 'string', example: 'robot$ci-builder' }, secret: { type: 'string' }, expiresAt: timestamp },
  required: ['name', 'username', 'secret', 'expiresAt'],
};

export const robotListSchema: SchemaObject = {
  type: 'object',
  properties: {
    robots: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' }, username: { type: 'string' }, scope: robotScope, description: { type: 'string' },
          createdAt: timestamp, expiresAt: timestamp, expired: { type: 'boolean' },
        },
        required: ['name', 'username', 'scope', 'createdAt', 'expiresAt', 'expired'],
      },
    },
  },
  required: ['robots'],
};

const location: SchemaObject = {
  type: 'object',
  properties: { backend: { type: 'string', example: 'ecr-prod' }, repository: { type: 'string', example: 'payments/api' } },
  required: ['backend', 'repository'],
};

export const replicationJobSchema: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    state: { type: 'string', example: 'completed', description: 'BullMQ\'s: waiting, active, delayed, completed, failed, prioritized, waiting-children' },
    rule: { type: 'string', example: 'ecr-to-gar' },
    trigger: { type: 'string', example: 'on-push' },
    source: location,
    destination: location,
    tag: { type: 'string' },
    digest: { type: 'string' },
    progress: { description: 'What the copy has done so far' },
    attemptsMade: { type: 'integer' },
    attempts: { type: 'integer' },
    failedReason: { type: 'string' },
    createdAt: timestamp,
    startedAt: timestamp,
    finishedAt: timestamp,
    result: { description: 'What a finished copy did' },
  },
  required: ['id', 'state', 'rule', 'trigger', 'source', 'destination', 'digest', 'attemptsMade', 'attempts', 'createdAt'],
};

export const replicationJobListSchema: SchemaObject = {
  type: 'object',
  properties: { jobs: { type: 'array', items: replicationJobSchema } },
  required: ['jobs'],
};

export const replicationRunSchema: SchemaObject = {
  type: 'object',
  properties: {
    rule: { type: 'string', example: 'ecr-to-gar', description: 'The rule to run; absent: every rule that takes `repository`' },
    repository: { type: 'string', example: 'payments/api', description: 'Only this repository (as the source backend knows it); absent: every one the rule takes' },
  },
  anyOf: [{ required: ['rule'] }, { required: ['repository'] }],
};

export const replicationRunAnswerSchema: SchemaObject = {
  type: 'object',
  properties: {
    rule: { type: 'string' },
    rules: { type: 'array', items: { type: 'string' }, description: 'With only a repository: the rules that took it' },
    repository: { type: 'string' },
    jobs: { type: 'array', items: { type: 'string' }, description: 'The ids of the jobs queued' },
  },
  required: ['jobs'],
};
