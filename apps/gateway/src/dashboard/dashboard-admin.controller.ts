import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { OciError } from '#oci';
import { AdminApi } from '../admin/openapi/admin-api.decorator';
import { ociErrorSchema } from '../admin/openapi/admin-schemas';
import { denialListSchema, statsHistorySchema } from './dashboard-schemas';
import { type Denial, DENIALS_KEPT, RecentDenials } from './recent-denials';
import { StatsHistory } from './stats-history';
import type { TrafficSample } from './stats-ring';

/** What the dashboard draws that no other admin endpoint gives: traffic over the last hour, the latest denials. */
@AdminApi('dashboard')
@Controller('admin/v1')
export class DashboardAdminController {
  constructor(
    private readonly stats: StatsHistory,
    private readonly denials: RecentDenials,
  ) {}

  @Get('stats/history')
  @ApiOperation({
    summary: 'Traffic over the last hour',
    description: 'Registry requests per second and the cache hit ratio per 10 s bucket, oldest first; the last bucket is the one still filling. Kept in this gateway process only.',
  })
  @ApiOkResponse({ schema: statsHistorySchema })
  history(): Promise<{ intervalSeconds: number; samples: TrafficSample[] }> {
    return this.stats.history();
  }

  @Get('access/denials')
  @ApiOperation({ summary: 'The latest access denials', description: `Newest first, at most ${DENIALS_KEPT}, with the reason; kept in this gateway process only.` })
  @ApiQuery({ name: 'limit', required: false, description: `1–${DENIALS_KEPT} (default ${DENIALS_KEPT})`, schema: { type: 'integer', minimum: 1, maximum: DENIALS_KEPT } })
  @ApiOkResponse({ schema: denialListSchema })
  @ApiBadRequestResponse({ description: 'A bad limit', schema: ociErrorSchema })
  latestDenials(@Query('limit') limit: unknown): { denials: Denial[] } {
    return { denials: this.denials.latest(parseLimit(limit)) };
  }
}

function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return DENIALS_KEPT;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > DENIALS_KEPT) throw new OciError('UNSUPPORTED', `limit must be 1–${DENIALS_KEPT}`, { status: 400 });
  return limit;
}
