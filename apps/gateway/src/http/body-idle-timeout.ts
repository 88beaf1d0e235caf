import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { OciError } from '#oci';
import { API_VERSION_HEADER } from './responses';

const cutForIdleness = new WeakSet<IncomingMessage>();

/** True when this request was ended by the body idle timeout (it is logged already). */
export function wasCutForIdleness(req: IncomingMessage): boolean {
  return cutForIdleness.has(req);
}

/**
 * Ends a request whose body stops arriving. Without a byte for `idleMs` (while Gantry holds
 * nothing unread, so the wait is the client's), the client gets 408 and the request is
 * destroyed: whatever consumes the body fails and releases what it holds (an upload's one-writer
 * lock), and the upload stays at the bytes that did arrive.
 *
 * Progress is read from the socket's byte count on a timer: nothing runs per chunk.
 */
export function watchBodyIdleness(req: FastifyRequest, reply: FastifyReply, idleMs: number, logger: Logger): void {
  const raw = req.raw;
  const socket = raw.socket;
  let seen = socket.bytesRead;
  let lastProgress = Date.now();
  const timer = setInterval(check, Math.max(100, Math.min(idleMs / 4, 5000)));
  timer.unref();
  const stop = (): void => clearInterval(timer);
  raw.once('end', stop);
  raw.once('close', stop);

  function check(): void {
    if (raw.complete || raw.destroyed) return stop();
    const now = Date.now();
    // Bytes arrived, or Gantry has not read what it has (backpressure): the client is not idle.
    if (socket.bytesRead !== seen || raw.readableLength > 0 || raw.isPaused()) {
      seen = socket.bytesRead;
      lastProgress = now;
      return;
    }
    if (now - lastProgress < idleMs) return;
    stop();
    cutForIdleness.add(raw);
    const seconds = Math.round(idleMs / 1000);
    logger.info({ reqId: req.id, method: req.method, url: req.url.split('?')[0]?.slice(0, 256), idleSeconds: seconds }, 'request body idle; request ended');
    const error = new OciError('UNSUPPORTED', `no request body bytes for ${seconds} s`, { status: 408 });
    const cut = (): void => void raw.destroy(error);
    if (reply.sent || reply.raw.headersSent) return cut();
    const body = JSON.stringify(error.toEnvelope());
    reply.raw.once('finish', cut);
    reply.raw.once('close', cut);
    reply
      .code(408)
      .headers({ ...API_VERSION_HEADER, 'x-request-id': req.id, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' })
      .send(body);
  }
}
