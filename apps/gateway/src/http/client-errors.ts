import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { OciError } from '#oci';
import { logAccess } from './access-log';
import { API_VERSION_HEADER } from './responses';

/**
 * Requests that fail before any route sees them still get an OCI error envelope, the API
 * version header and an access-log line: malformed HTTP (Node's parser), an unknown `Expect`
 * (Node) and URLs the router cannot decode (Fastify).
 */

/** Node's parser errors, by code, as the status and message a client should see. */
function parseErrorAnswer(err: NodeJS.ErrnoException & { reason?: string }, requestLine: RequestLine | undefined): { status: number; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'request headers were not received in time' };
    case 'HPE_INVALID_METHOD':
      // A well-formed request line names a method Gantry does not implement; anything else is not HTTP.
      return requestLine?.http && /^[A-Za-z]+$/.test(requestLine.method)
        ? { status: 501, message: 'unknown request method' }
        : { status: 400, message: 'malformed request line' };
    default:
      return { status: 400, message: `malformed request${err.reason ? ` (${err.reason})` : ''}` };
  }
}

interface RequestLine {
  method: string;
  url: string;
  /** It ends in an HTTP version, as a request line must. */
  http: boolean;
}

/** Method and URL from what the parser had read, for the access log. */
function requestLineOf(rawPacket: unknown): RequestLine | undefined {
  if (!Buffer.isBuffer(rawPacket)) return undefined;
  const match = /^(\S{1,32}) (\S+)( HTTP\/\d\.\d\r?\n)?/.exec(rawPacket.toString('latin1', 0, 4096));
  return match ? { method: match[1]!, url: match[2]!, http: match[3] !== undefined } : undefined;
}

/** Node's `clientError`: the connection gets one OCI error response, then it is closed. */
export function clientErrorHandler(logger: Logger): (err: Error, socket: Socket) => void {
  return (err: NodeJS.ErrnoException & { rawPacket?: unknown; reason?: string }, socket: Socket) => {
    // A reset connection has nobody to answer; a response in progress cannot be replaced.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestLine = requestLineOf(err.rawPacket);
    const { status, message } = parseErrorAnswer(err, requestLine);
    const reqId = randomUUID();
    answerOnSocket(socket, status, message, reqId);
    logAccess(logger, { reqId, method: requestLine?.method ?? '-', url: requestLine?.url ?? '-', status, ms: 0, error: err.code ?? 'client error' });
  };
}

/** Node's `connect`: Gantry is no forward proxy; CONNECT gets 405 like any other foreign method. */
export function connectHandler(logger: Logger, requestId: (req: IncomingMessage) => string): (req: IncomingMessage, socket: Socket) => void {
  return (req, socket) => {
    const reqId = requestId(req);
    socket.on('error', () => socket.destroy());
    answerOnSocket(socket, 405, 'CONNECT is not supported', reqId);
    logAccess(logger, { reqId, method: 'CONNECT', url: req.url ?? '-', status: 405, ms: 0, error: 'method not allowed' });
  };
}

/** One OCI error response written straight to a socket that no Fastify reply owns, then closed. */
function answerOnSocket(socket: Socket, status: number, message: string, reqId: string): void {
  const body = JSON.stringify(new OciError('UNSUPPORTED', message, { status }).toEnvelope());
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `Docker-Distribution-API-Version: ${API_VERSION_HEADER['docker-distribution-api-version']}`,
      `X-Request-Id: ${reqId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
  // A client that never closes its side does not keep the socket.
  socket.setTimeout(5000, () => socket.destroy());
}

/** Fastify's `frameworkErrors`: a URL it cannot decode (or route) is an OCI error like any other. */
export function frameworkErrorHandler(logger: Logger): (error: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply) => void {
  return (error, req, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    const message = (error as { code?: string }).code === 'FST_ERR_BAD_URL' ? 'the URL is not validly percent-encoded' : 'the URL cannot be routed';
    const body = JSON.stringify(new OciError('UNSUPPORTED', message, { status }).toEnvelope());
    if (!req.raw.readableEnded) req.raw.resume();
    reply
      .code(status)
      .headers({ ...API_VERSION_HEADER, 'x-request-id': req.id, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .send(body);
    logAccess(logger, { reqId: req.id, method: req.method, url: req.url, status, ms: 0, error: (error as { code?: string }).code ?? 'framework error' });
  };
}

/** Node's `checkExpectation`: any `Expect` but `100-continue` is refused with 417, as an OCI error. */
export function expectationHandler(logger: Logger, requestId: (req: IncomingMessage) => string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const reqId = requestId(req);
    const body = JSON.stringify(new OciError('UNSUPPORTED', 'only "Expect: 100-continue" is supported', { status: 417 }).toEnvelope());
    req.resume();
    res.writeHead(417, {
      ...API_VERSION_HEADER, 'x-request-id': reqId, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close',
    });
    res.end(body);
    logAccess(logger, { reqId, method: req.method ?? '-', url: req.url ?? '-', status: 417, ms: 0, error: 'expectation failed' });
  };
}
