import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuditSink } from '#access';
import { OciError } from '#oci';
import { JOB_STATES, type Replication, type ReplicationJobState, type ReplicationJobView } from '#replication';
import { AUDIT_SINK, REPLICATION } from '../bootstrap/tokens';
import { readJsonBody } from '../http/json-body';
import { adminActor } from './admin-actor';
import { AdminApi } from './openapi/admin-api.decorator';
import { ociErrorSchema, replicationJobListSchema, replicationJobSchema, replicationRunAnswerSchema, replicationRunSchema } from './openapi/admin-schemas';

const jobId = ApiParam({ name: 'id', description: 'The job id (from the list or a run)' });
const noSuchJob = ApiNotFoundResponse({ description: 'No such job (NAME_UNKNOWN)', schema: ociErrorSchema });

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Replication jobs for operators: list (by state, rule), one job, retry, cancel, and a manual run. */
@AdminApi('replication')
@Controller('admin/v1/replication')
export class ReplicationAdminController {
  constructor(
    @Inject(REPLICATION) private readonly replication: Replication,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  @Get('jobs')
  @ApiOperation({ summary: 'List replication jobs', description: 'Newest first, across every destination queue.' })
  @ApiQuery({ name: 'state', required: false, description: `Comma-separated: ${JOB_STATES.join(', ')} (default: all)`, example: 'failed' })
  @ApiQuery({ name: 'rule', required: false, description: 'Only this rule\'s jobs' })
  @ApiQuery({ name: 'limit', required: false, description: `1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})`, schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT } })
  @ApiOkResponse({ schema: replicationJobListSchema })
  @ApiBadRequestResponse({ description: 'An unknown state or a bad limit', schema: ociErrorSchema })
  async list(@Query('state') state: unknown, @Query('rule') rule: unknown, @Query('limit') limit: unknown): Promise<{ jobs: ReplicationJobView[] }> {
    const states = parseStates(state);
    const jobs = await this.replication.jobs.list({ states, ...(typeof rule === 'string' && rule !== '' ? { rule } : {}), limit: parseLimit(limit) });
    return { jobs };
  }

  @Get('jobs/:id')
  @ApiOperation({ summary: 'One replication job', description: 'Its state, progress, attempts and, when it failed, why.' })
  @jobId
  @ApiOkResponse({ schema: replicationJobSchema })
  @noSuchJob
  async get(@Param('id') id: string): Promise<ReplicationJobView> {
    const job = await this.replication.jobs.get(id);
    if (!job) throw notFound(id);
    return job;
  }

  @Post('jobs/:id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed replication job', description: 'Only failed jobs (the dead letters) are retried.' })
  @jobId
  @ApiAcceptedResponse({ schema: { type: 'object', properties: { id: { type: 'string' }, state: { type: 'string', enum: ['waiting'] } } } })
  @noSuchJob
  @ApiConflictResponse({ description: 'The job has not failed', schema: ociErrorSchema })
  async retry(@Req() req: FastifyRequest, @Param('id') id: string): Promise<{ id: string; state: 'waiting' }> {
    const outcome = await this.replication.jobs.retry(id);
    if (outcome === 'not-found') throw notFound(id);
    if (outcome === 'not-failed') throw new OciError('UNSUPPORTED', `job ${id} has not failed: only failed jobs are retried`, { status: 409, detail: { id } });
    this.record(req, 'retry', `job ${id}`);
    return { id, state: 'waiting' };
  }

  @Delete('jobs/:id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a replication job', description: 'A waiting job is removed; a running one stops at its next chunk.' })
  @jobId
  @ApiAcceptedResponse({ schema: { type: 'object', properties: { id: { type: 'string' }, outcome: { type: 'string', enum: ['removed', 'cancelling'] } } } })
  @noSuchJob
  async cancel(@Req() req: FastifyRequest, @Param('id') id: string): Promise<{ id: string; outcome: 'removed' | 'cancelling' }> {
    const outcome = await this.replication.jobs.cancel(id);
    if (outcome === 'not-found') throw notFound(id);
    this.record(req, 'cancel', `job ${id} ${outcome}`);
    return { id, outcome };
  }

  /**
   * `{ "rule": "ecr-to-gar", "repository": "payments/api" }`: copies every matching tag now
   * (repository optional); `{ "repository": "payments/api" }` alone runs every rule that takes it.
   */
  @Post('run')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run a replication rule, or every rule taking a repository, now',
    description: 'Queues a copy of every tag the rule takes (of one repository, if given); with only a repository, of every rule that takes it.',
  })
  @ApiBody({ schema: replicationRunSchema })
  @ApiAcceptedResponse({ schema: replicationRunAnswerSchema })
  @ApiBadRequestResponse({ description: 'Neither rule nor repository, or a repository no rule (or not the given rule) takes', schema: ociErrorSchema })
  @ApiNotFoundResponse({ description: 'No such rule (NAME_UNKNOWN)', schema: ociErrorSchema })
  async run(@Req() req: FastifyRequest): Promise<{ rule?: string; rules?: string[]; repository?: string; jobs: string[] }> {
    const body = await readJsonBody(req.raw);
    const { rule, repository } = (body ?? {}) as { rule?: unknown; repository?: unknown };
    if (repository !== undefined && (typeof repository !== 'string' || repository === '')) throw badRequest('"repository" must be a repository name');
    if (rule === undefined && typeof repository === 'string') {
      const run = await this.replication.runRepository(repository);
      if (run.rules.length === 0) throw badRequest(`no replication rule takes repository "${repository}"`);
      this.record(req, 'run', `repository ${repository} (rules ${run.rules.join(', ')}): ${run.jobs.length} jobs`);
      return { repository, rules: run.rules, jobs: run.jobs };
    }
    if (typeof rule !== 'string' || rule === '') throw badRequest('"rule" (a rule name) or "repository" is required');
    const matched = this.replication.planner.rule(rule);
    if (!matched) throw new OciError('NAME_UNKNOWN', `no replication rule "${rule}"`, { detail: { rule } });
    if (repository !== undefined && !matched.matchesRepository(repository)) {
      throw badRequest(`rule "${rule}" does not take repository "${repository}"`);
    }
    const jobs = (await this.replication.run(rule, repository)) ?? [];
    this.record(req, 'run', `rule ${rule}${repository ? ` repository ${repository}` : ''}: ${jobs.length} jobs`);
    return { rule, ...(repository !== undefined ? { repository } : {}), jobs };
  }

  private record(req: FastifyRequest, action: string, reason: string): void {
    this.audit.record({ event: 'replication', subject: adminActor(req), sourceAddress: req.ip, reqId: req.id, action: `replication.${action}`, decision: 'allow', reason });
  }
}

function parseStates(value: unknown): ReplicationJobState[] {
  if (value === undefined || value === '') return [...JOB_STATES];
  const states = String(value).split(',');
  for (const state of states) {
    if (!(JOB_STATES as readonly string[]).includes(state)) throw badRequest(`unknown state "${state}": one of ${JOB_STATES.join(', ')}`);
  }
  return states as ReplicationJobState[];
}

function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw badRequest(`limit must be 1–${MAX_LIMIT}`);
  return limit;
}

function notFound(id: string): OciError {
  return new OciError('NAME_UNKNOWN', `no replication job "${id}"`, { status: 404, detail: { id } });
}

function badRequest(message: string): OciError {
  return new OciError('UNSUPPORTED', message, { status: 400 });
}
