import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type AuditSink, RobotAccounts, type RobotView } from '#access';
import { OciError } from '#oci';
import { AUDIT_SINK } from '../bootstrap/tokens';
import { readJsonBody } from '../http/json-body';
import { adminActor } from './admin-actor';
import { parseCreateRobotRequest } from './create-robot-request';

/**
 * Robot accounts for operators: create (the secret is in this answer and nowhere else, ever),
 * list (never a secret or hash), revoke. Admin access is enforced for all of /admin/ in one place.
 */
@Controller('admin/v1/robots')
export class RobotsAdminController {
  constructor(
    private readonly robots: RobotAccounts,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest): Promise<{ name: string; username: string; secret: string; expiresAt: string }> {
    const robot = parseCreateRobotRequest(await readJsonBody(req.raw));
    const created = await this.robots.create(robot);
    this.record(req, 'create', created.name, `expires ${created.expiresAt.toISOString()}`);
    return { name: created.name, username: created.username, secret: created.secret, expiresAt: created.expiresAt.toISOString() };
  }

  @Get()
  async list(): Promise<{ robots: (Omit<RobotView, 'createdAt' | 'expiresAt'> & { createdAt: string; expiresAt: string })[] }> {
    const robots = await this.robots.list();
    return { robots: robots.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), expiresAt: r.expiresAt.toISOString() })) };
  }

  @Delete(':name')
  @HttpCode(204)
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
