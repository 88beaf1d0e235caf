import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { sendJson } from '../http/responses';
import { ReadinessCheck } from './readiness';

/** `GET /readyz`: 200 when ready or degraded (some backends down), 503 when not. Open, like /healthz. */
@Controller()
export class ReadinessController {
  constructor(private readonly readiness: ReadinessCheck) {}

  @Get('readyz')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const readiness = await this.readiness.check();
    sendJson(reply, readiness.status === 'unready' ? 503 : 200, readiness);
  }
}
