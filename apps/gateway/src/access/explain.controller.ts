import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExplainInputError, type ExplainRequest } from '#access';
import { OciError, readBounded } from '#oci';
import { sendJson } from '../http/responses';
import { ACCESS_CONTROL, type AccessControl } from './access-control';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * `POST /admin/v1/access/explain` `{subject, action, repository?, reference?}`: the decision the
 * rules give now and the rules that led to it (the admin guard protects it like all of /admin).
 */
@Controller('admin/v1/access')
export class ExplainController {
  constructor(@Inject(ACCESS_CONTROL) private readonly access: AccessControl | null) {}

  @Post('explain')
  async explain(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const tooLarge = () => new OciError('SIZE_INVALID', 'the explain request is too large', { status: 413 });
    const raw = await readBounded(req.raw, MAX_BODY_BYTES, tooLarge, 'drain');
    let request: ExplainRequest;
    try {
      request = JSON.parse(raw.toString('utf8')) as ExplainRequest;
    } catch {
      throw invalid('the body must be JSON: {subject, action, repository?, reference?}');
    }
    if (!this.access) {
      sendJson(reply, 200, { decision: 'allow', reason: 'no auth section: anyone may do anything', rules: [], notes: [] });
      return;
    }
    try {
      sendJson(reply, 200, await this.access.explainer.explain(request));
    } catch (err) {
      if (err instanceof ExplainInputError) throw invalid(err.message);
      throw err;
    }
  }
}

function invalid(message: string): OciError {
  return new OciError('UNSUPPORTED', message, { status: 400 });
}
