import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExplainInputError, type ExplainRequest } from '#access';
import { OciError } from '#oci';
import { AdminApi } from '../admin/openapi/admin-api.decorator';
import { explainAnswerSchema, explainRequestSchema, ociErrorSchema } from '../admin/openapi/admin-schemas';
import { readJsonBody } from '../http/json-body';
import { sendJson } from '../http/responses';
import { AdmissionGate } from '../v2/admission-gate';
import { ACCESS_CONTROL, type AccessControl } from './access-control';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * `POST /admin/v1/access/explain` `{subject, action, repository?, reference?}`: the decision the
 * rules give now and the rules that led to it (the admin guard protects it like all of /admin).
 */
@AdminApi('access')
@Controller('admin/v1/access')
export class ExplainController {
  constructor(
    @Inject(ACCESS_CONTROL) private readonly access: AccessControl | null,
    private readonly admission: AdmissionGate,
  ) {}

  @Post('explain')
  @ApiOperation({ summary: 'Explain an access decision', description: 'The decision the rules (and, for a pull with a reference, the pull policies) give now, and the rules that led to it.' })
  @ApiBody({ schema: explainRequestSchema })
  @ApiOkResponse({ schema: explainAnswerSchema })
  @ApiBadRequestResponse({ description: 'The body is not JSON or names an unknown action or subject form', schema: ociErrorSchema })
  @ApiPayloadTooLargeResponse({ description: 'The body is over 64 KiB', schema: ociErrorSchema })
  async explain(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = await readJsonBody(req.raw, MAX_BODY_BYTES);
    if (typeof body !== 'object' || body === null) throw invalid('the body must be a JSON object: {subject, action, repository?, reference?}');
    const request = body as ExplainRequest;
    if (!this.access) {
      sendJson(reply, 200, await this.explainWithoutAuth(request));
      return;
    }
    try {
      sendJson(reply, 200, await this.access.explainer.explain(request));
    } catch (err) {
      if (err instanceof ExplainInputError) throw invalid(err.message);
      throw err;
    }
  }

  /** No rules without `auth`, but pull policies still apply to everyone. */
  private async explainWithoutAuth(request: ExplainRequest): Promise<Record<string, unknown>> {
    const answer: Record<string, unknown> = { decision: 'allow', reason: 'no auth section: anyone may do anything', rules: [], notes: [] };
    if (request.action === 'pull' && typeof request.repository === 'string' && typeof request.reference === 'string') {
      const admission = await this.admission.explain(request.repository, request.reference);
      answer.admission = admission;
      if (!admission.decision.allowed) Object.assign(answer, { decision: 'deny', reason: admission.decision.message ?? 'denied by a pull policy' });
    }
    return answer;
  }
}

function invalid(message: string): OciError {
  return new OciError('UNSUPPORTED', message, { status: 400 });
}
