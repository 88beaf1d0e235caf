import type { FastifyReply } from 'fastify';

export type Headers = Record<string, string | number>;

/** Every v2 response carries the API version header clients probe for. */
export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' } as const;

export function sendEmpty(reply: FastifyReply, status: number, headers: Headers = {}): void {
  reply.code(status).headers({ ...headers, 'content-length': 0 }).send();
}

export function sendJson(reply: FastifyReply, status: number, body: unknown, headers: Headers = {}, contentType = 'application/json'): void {
  const bytes = Buffer.from(JSON.stringify(body));
  reply.code(status).headers({ ...headers, 'content-type': contentType, 'content-length': bytes.length }).send(bytes);
}
