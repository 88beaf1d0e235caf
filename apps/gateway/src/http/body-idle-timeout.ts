import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OciError } from '#oci';
import { API_VERSION_HEADER } from './responses';

const cutForIdleness = new WeakMap<IncomingMessage, number>();

/** The idle timeout (s) when it ended this request; the error filter logs the request's end. */
export function idleCutSeconds(req: IncomingMessage): number | undefined {
  return cutForIdleness.get(req);
}

/**
 * Ends a request whose body stops arriving. Without a byte for `idleMs` (while Gantry holds
 * nothing unread, so the wait is the client's), the client gets 408 and the request is
 * destroyed: whatever consumes the body fails and releases what it holds (an upload's one-writer
 * lock), and the upload stays at the bytes that did arrive.
 *
 * Progress is read from the socket's byte count on a timer: nothing runs per chunk.
 */
export function watchBodyIdleness(req: FastifyRequest, reply: FastifyReply, idleMs: number): void {
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
    const seconds = Math.round(idleMs / 1000);
    cutForIdleness.set(raw, seconds);
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
