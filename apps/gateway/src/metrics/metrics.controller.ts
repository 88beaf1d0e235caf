import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GantryMetrics } from './gantry-metrics';

/**
 * `GET /metrics` for Prometheus. Not behind the admin guard (scrapers rarely log in): its labels
 * name backends and route prefixes from the config, never a repository, credential or client.
 */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: GantryMetrics) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    reply.header('content-type', contentType).send(body);
  }
}
