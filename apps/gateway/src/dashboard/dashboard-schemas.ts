import type { SchemaObject } from '@nestjs/swagger';

/** JSON schemas of the dashboard's admin endpoints, for the OpenAPI document. */

const timestamp: SchemaObject = { type: 'string', format: 'date-time' };

export const statsHistorySchema: SchemaObject = {
  type: 'object',
  properties: {
    intervalSeconds: { type: 'integer', example: 10 },
    samples: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          time: { ...timestamp, description: 'The end of the bucket' },
          requestsPerSecond: { type: 'number', description: 'Registry requests (v2 and /token) answered per second' },
          cacheHitRatio: { type: 'number', nullable: true, description: 'Cache hits (fresh or stale) per cache lookup; null without lookups' },
        },
        required: ['time', 'requestsPerSecond', 'cacheHitRatio'],
      },
    },
  },
  required: ['intervalSeconds', 'samples'],
};

export const denialListSchema: SchemaObject = {
  type: 'object',
  properties: {
    denials: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          time: timestamp,
          event: { type: 'string', enum: ['login', 'token', 'request', 'admission', 'robot', 'replication'] },
          subject: { type: 'string', example: 'user:bob' },
          action: { type: 'string', example: 'pull' },
          repository: { type: 'string' },
          reference: { type: 'string' },
          rule: { type: 'string' },
          policy: { type: 'string' },
          reason: { type: 'string' },
          sourceAddress: { type: 'string' },
        },
        required: ['time', 'event', 'subject'],
      },
    },
  },
  required: ['denials'],
};
