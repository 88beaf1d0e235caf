import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { type AuditSink, RobotAccounts, type RobotView } from '#access/auth';
import { OciError } from '#oci';
import { AUDIT_SINK } from '../bootstrap/tokens';
import { readJsonBody } from '../http/json-body';
import { adminActor } from './admin-actor';
import { parseCreateRobotRequest } from './create-robot-request';
import { AdminApi } from './openapi/admin-api.decorator';
import { createdRobotSchema, createRobotSchema, ociErrorSchema, robotListSchema } from './openapi/admin-schemas';

/**
 * Robot accounts for operators: create (the secret is in this answer and nowhere else, ever),
 * list (never a secret or hash), revoke. Admin access is enforced for all of /admin/ in one place.
 */
@AdminApi('robots')
@Controller('admin/v1/robots')
export class RobotsAdminController {
  constructor(
    private readonly robots: RobotAccounts,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a robot account', description: 'The secret is in this answer only; store it now.' })
  @ApiBody({ schema: createRobotSchema })
  @ApiCreatedResponse({ schema: createdRobotSchema })
  @ApiBadRequestResponse({ description: 'A field is wrong; every wrong field is named in `detail.issues`', schema: ociErrorSchema })
  async create(@Req() req: FastifyRequest): Promise<{ name: string; username: string; secret: string; expiresAt: string }> {
    const robot = parseCreateRobotRequest(await readJsonBody(req.raw));
    const created = await this.robots.create(robot);
    this.record(req, 'create', created.name, `expires ${created.expiresAt.toISOString()}`);
    return { name: created.name, username: created.username, secret: created.secret, expiresAt: created.expiresAt.toISOString() };
  }

  @Get()
  @ApiOperation({ summary: 'List robot accounts', description: 'Never a secret or a hash.' })
  @ApiOkResponse({ schema: robotListSchema })
  async list(): Promise<{ robots: (Omit<RobotView, 'createdAt' | 'expiresAt'> & { createdAt: string; expiresAt: string })[] }> {
    const robots = await this.robots.list();
    return { robots: robots.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), expiresAt: r.expiresAt.toISOString() })) };
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a robot account', description: 'Its tokens stop working at their next request.' })
  @ApiParam({ name: 'name', description: 'The robot\'s name', example: 'ci-builder' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ description: 'No such robot (NAME_UNKNOWN)', schema: ociErrorSchema })
  async revoke(@Req() req: FastifyRequest, @Param('name') name: string): Promise<void> {
    if (!(await this.robots.revoke(name))) throw new OciError('NAME_UNKNOWN', `no robot account "${name}"`, { detail: { name } });
    this.record(req, 'revoke', name);
  }

  private record(req: FastifyRequest, action: 'create' | 'revoke', name: string, reason?: string): void {
    this.audit.record({
      event: 'robot',
      subject: adminActor(req),
      sourceAddress: req.ip,
      reqId: req.id,
      action: `robot.${action}`,
      decision: 'allow',
      reason: reason ? `robot:${name} ${reason}` : `robot:${name}`,
    });
  }
}
