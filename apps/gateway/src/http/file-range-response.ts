import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { FileRangeStream } from '#registry';
import type { Headers } from './responses';

/**
 * Sends a file-backed body through the stream's two recycled buffers instead of Fastify's pipe
 * (which needs a fresh buffer per chunk). The response's hooks still run when it finishes. A
 * transfer that cannot complete (the file failed, the client went away) ends the connection, as a
 * piped stream's error does.
 */
export async function sendFileRange(reply: FastifyReply, status: number, headers: Headers, body: FileRangeStream): Promise<void> {
  // The reply's headers include those the hooks set (API version, request id, cache status).
  reply.headers(headers).hijack();
  const res = reply.raw;
  res.writeHead(status, reply.getHeaders() as OutgoingHttpHeaders);
  try {
    await body.writeRecycled(res);
    res.end();
  } catch (err) {
    if (!res.destroyed) reply.log.warn({ err }, 'blob transfer failed');
    res.destroy();
  }
}
