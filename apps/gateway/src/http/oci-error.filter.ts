import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { OciError } from '#oci';
import { LOGGER } from '../bootstrap/tokens';
import { idleCutSeconds } from './body-idle-timeout';
import { bodyBrokeOff } from './client-abort';
import { API_VERSION_HEADER } from './responses';

/** The one place errors become OCI error envelopes. */
@Catch()
export class OciErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    if (bodyBrokeOff(req.raw)) {
      // Nobody is left to answer (or the idle timeout answered already): a client's doing, not an error.
      this.logClientEnd(req, exception);
      if (!reply.sent) reply.raw.destroy();
      return;
    }
    const error = this.toOciError(exception, req);
    if (reply.sent || reply.raw.headersSent) {
      // Mid-stream failure: the only honest signal left is a broken connection.
      reply.raw.destroy();
      return;
    }
    // Drain an unread body so the connection stays usable.
    if (!req.raw.readableEnded) req.raw.resume();
    const body = JSON.stringify(error.toEnvelope());
    reply
      .code(error.status)
      .headers({ ...API_VERSION_HEADER, ...error.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .send(req.method === 'HEAD' ? undefined : body);
  }

  /** Once, at info, without a stack: what the client did, not what it broke. */
  private logClientEnd(req: FastifyRequest, exception: unknown): void {
    const where = { reqId: req.id, method: req.method, url: req.url.split('?')[0]?.slice(0, 256) };
    const idleSeconds = idleCutSeconds(req.raw);
    if (idleSeconds !== undefined) {
      this.logger.info({ ...where, idleSeconds }, 'request body idle; request ended');
      return;
    }
    // The socket's own code (ECONNRESET) says how; a backend's error code here would only mislead.
    const code = exception instanceof OciError ? undefined : (exception as { code?: unknown }).code;
    this.logger.info({ ...where, ...(typeof code === 'string' ? { code } : {}) }, 'client aborted the request');
  }

  private toOciError(exception: unknown, req: FastifyRequest): OciError {
    if (exception instanceof OciError) {
      if (exception.status >= 500) this.logger.warn({ reqId: req.id, code: exception.code, error: exception.message }, 'request failed');
      return exception;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return new OciError(status === 404 ? 'NAME_UNKNOWN' : status === 413 ? 'MANIFEST_TOO_LARGE' : 'UNSUPPORTED', exception.message, { status });
    }
    const fastifyStatus = (exception as { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return new OciError('UNSUPPORTED', (exception as Error).message, { status: fastifyStatus });
    }
    this.logger.error({ reqId: req.id, err: exception }, 'unhandled error');
    return new OciError('INTERNAL', 'internal error');
  }
}
